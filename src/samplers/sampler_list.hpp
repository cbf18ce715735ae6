// Every sampler, one line each: GLIDE_SAMPLER(factory in glide::detail, "registry name").
// A factory has the signature std::unique_ptr<Sampler>(const SamplerParams&).
GLIDE_SAMPLER(make_ddpm_sampler, "ddpm")
GLIDE_SAMPLER(make_ddim_sampler, "ddim")
GLIDE_SAMPLER(make_dpmpp_2m_sampler, "dpm++2m")
GLIDE_SAMPLER(make_heun_sampler, "heun")
GLIDE_SAMPLER(make_euler_ancestral_sampler, "euler_a")
GLIDE_SAMPLER(make_dpmpp_2m_sde_sampler, "dpm++2m_sde")
