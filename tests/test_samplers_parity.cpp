// Sampling trajectories against the reference goldens (cases in tests/parity/sampling_cases.cpp,
// shared with the glide-parity runner).
#include "parity/parity.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"

TEST_CASE("sampling trajectories match the reference within 1e-4", "[samplers][parity][slow]") {
  GLIDE_REQUIRE_GOLDEN(text2im, "sampling_text2im.pt");
  GLIDE_REQUIRE_GOLDEN(superres, "sampling_superres.pt");
  GLIDE_REQUIRE_GOLDEN(inpaint, "sampling_inpaint.pt");
  const auto results = glide::parity::run_sampling_cases(*glide::test::goldens_dir());
  // 4 p_mean_variance fields + 3 scales x 3 samplers + superres + inpaint.
  CHECK(results.size() == 15);
  for (const auto& r : results) {
    INFO(r.name << ": max error " << r.max_error << " (" << r.detail << ")");
    CHECK(r.passed);
  }
}
