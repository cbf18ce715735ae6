/* Text to images with glide's C API: load the models (the shipped shapes pair unless checkpoints
 * are named), generate with a progress callback, write the images as PNG files that record how
 * they were made, generate again on the same pipeline with the next seed (on CUDA its graphs
 * are replayed, not captured again), then release what the pipeline kept. Build against an
 * installed glide:
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

/* Generates a batch and writes it as PREFIX-seedS-k.png: each PNG holds the record that makes
 * it again (`glide generate --from PREFIX-seedS-k.png`). Files that exist are refused before
 * any sampling (params->overwrite would replace them). */
static int generate_and_save(glide_pipeline* pipeline, glide_generate_params* params,
                             const char* prefix) {
  glide_images* images = NULL;
  char path[1024];
  int rc;
  snprintf(path, sizeof path, "%s-seed%lu.png", prefix, (unsigned long)params->seed);
  params->save_path = path;
  rc = glide_generate(pipeline, params, &images);
  params->save_path = NULL;
  if (rc == GLIDE_OK) {
    printf("wrote %s-seed%lu-0.png ... -%ld.png (%ldx%ld)\n", prefix, (unsigned long)params->seed,
           (long)(images->count - 1), (long)images->width, (long)images->height);
  }
  /* A write that failed after sampling still returns the images: free them either way. */
  glide_images_free(images);
  if (rc != GLIDE_OK) return fail("glide_generate", rc);
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
