/* Text to images with glide's C API: load the models (the shipped shapes pair unless checkpoints
 * are named), generate with a progress callback, write each image as a binary PPM file, generate
 * again on the same pipeline with the next seed (on CUDA its graphs are replayed, not captured
 * again), then release what the pipeline kept. Build against an installed glide:
 *   cc -std=c99 c_generate.c $(pkg-config --cflags --libs glide) -o c_generate
 * Usage: c_generate [PROMPT [OUTPUT_PREFIX [STEPS [BASE.pt UPSAMPLER.pt]]]]
 * STEPS is both stages' respacing (default: the reference's "100" and "fast27"). */
#include <stdio.h>
#include <stdlib.h>

#include "glide.h"

static int fail(const char* what, int status) {
  fprintf(stderr, "%s failed (%s): %s\n", what, glide_status_name(status), glide_error_last());
  return 1;
}

static bool report_progress(const char* stage, int64_t step, int64_t total, void* user_data) {
  (void)user_data;
  fprintf(stderr, "\r%-10s %3ld/%ld", stage, (long)step, (long)total);
  if (step == total) fputc('\n', stderr);
  return true; /* false would cancel: glide_generate then returns GLIDE_ERROR_CANCELLED */
}

/* Image k of the batch as PPM (P6): a header, then the RGB rows as glide returns them. */
static int write_ppm(const glide_images* images, int64_t k, const char* path) {
  const size_t size = (size_t)(images->height * images->width * images->channels);
  FILE* out = fopen(path, "wb");
  int ok;
  if (!out) {
    perror(path);
    return 0;
  }
  fprintf(out, "P6\n%ld %ld\n255\n", (long)images->width, (long)images->height);
  ok = fwrite(images->pixels + (size_t)k * size, 1, size, out) == size;
  ok = fclose(out) == 0 && ok;
  if (ok) printf("wrote %s (%ldx%ld)\n", path, (long)images->width, (long)images->height);
  return ok;
}

static int generate_and_save(glide_pipeline* pipeline, const glide_generate_params* params,
                             const char* prefix) {
  glide_images* images = NULL;
  char path[1024];
  int64_t k;
  const int rc = glide_generate(pipeline, params, &images);
  if (rc != GLIDE_OK) return fail("glide_generate", rc);
  for (k = 0; k < images->count; ++k) {
    snprintf(path, sizeof path, "%s-seed%lu-%ld.ppm", prefix, (unsigned long)params->seed, (long)k);
    if (!write_ppm(images, k, path)) {
      glide_images_free(images);
      return 1;
    }
  }
  glide_images_free(images);
  return 0;
}

int main(int argc, char** argv) {
  const char* prompt = argc > 1 ? argv[1] : "a red circle on a blue background";
  const char* prefix = argc > 2 ? argv[2] : "c_generate";
  const char* steps = argc > 3 ? argv[3] : NULL;
  glide_pipeline_params pipeline_params;
  glide_generate_params params;
  glide_pipeline* pipeline = NULL;
  int rc;

  rc = glide_pipeline_params_init(&pipeline_params, GLIDE_PIPELINE_PARAMS_VERSION);
  if (rc != GLIDE_OK) return fail("glide_pipeline_params_init", rc);
  if (argc > 5) {
    pipeline_params.base_checkpoint = argv[4];
    pipeline_params.upsampler_checkpoint = argv[5];
  }
  rc = glide_pipeline_create(&pipeline_params, &pipeline);
  if (rc != GLIDE_OK) return fail("glide_pipeline_create", rc);

  rc = glide_generate_params_init(&params, GLIDE_GENERATE_PARAMS_VERSION);
  if (rc != GLIDE_OK) {
    glide_pipeline_free(pipeline);
    return fail("glide_generate_params_init", rc);
  }
  params.prompts = &prompt;
  params.prompt_count = 1;
  params.batch_size = 2;
  params.progress = report_progress;
  if (steps) params.base.respacing = params.upsampler.respacing = steps;

  rc = generate_and_save(pipeline, &params, prefix);
  if (rc == 0) {
    /* Same batch size, dtype and device: the pipeline reuses what the first call bound. */
    params.seed += (uint64_t)params.batch_size;
    rc = generate_and_save(pipeline, &params, prefix);
  }
  /* Frees the kept networks (on CUDA: their graphs and the device memory they hold). */
  if (rc == 0 && glide_pipeline_release_cache(pipeline) != GLIDE_OK) rc = 1;
  glide_pipeline_free(pipeline);
  return rc;
}
