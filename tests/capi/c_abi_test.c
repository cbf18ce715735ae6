/* Every C entry point called from C99, error paths included. Run by CTest on its own and built
 * with LeakSanitizer (capi_lsan), so every allocation the library hands out is seen freed.
 * Usage: c_abi_test [CHECKPOINT]  (a .pt or .safetensors file to inspect) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glide.h"

static int failures = 0;

#define EXPECT(cond)                                                                     \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, \
              glide_error_last());                                                       \
      ++failures;                                                                        \
    }                                                                                    \
  } while (0)

static int contains(const char* haystack, const char* needle) {
  return strstr(haystack, needle) != NULL;
}

static void test_versions(void) {
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", GLIDE_VERSION_MAJOR, GLIDE_VERSION_MINOR,
           GLIDE_VERSION_PATCH);
  EXPECT(strcmp(glide_version(), GLIDE_VERSION_STRING) == 0);
  EXPECT(strcmp(expected, GLIDE_VERSION_STRING) == 0);
  EXPECT(strcmp(glide_status_name(GLIDE_ERROR_UNSUPPORTED), "unsupported") == 0);
  EXPECT(glide_error_last() != NULL);
}

static void test_tokenizer(void) {
  /* "a red circle on a blue background" */
  const int64_t expected[] = {64, 2266, 9197, 319, 257, 4171, 4469};
  int64_t ids[16];
  int64_t padded[128];
  bool mask[128];
  char text[64];
  size_t count = 0, length = 0, i;

  EXPECT(glide_tokenize("a red circle on a blue background", NULL, 0, &count) == GLIDE_OK);
  EXPECT(count == 7);
  EXPECT(strcmp(glide_error_last(), "") == 0);
  EXPECT(glide_tokenize("a red circle on a blue background", ids, 16, &count) == GLIDE_OK);
  for (i = 0; i < 7; ++i) EXPECT(ids[i] == expected[i]);
  EXPECT(glide_tokenize("a red circle on a blue background", ids, 2, &count) ==
         GLIDE_ERROR_BUFFER_TOO_SMALL);
  EXPECT(count == 7);
  EXPECT(glide_tokenize(NULL, ids, 16, &count) == GLIDE_ERROR_INVALID_ARGUMENT);
  EXPECT(contains(glide_error_last(), "'utf8' is NULL"));
  EXPECT(glide_tokenize("\xc0\xaf", ids, 16, &count) == GLIDE_ERROR_INVALID_ARGUMENT);

  EXPECT(glide_tokenize_padded("a red circle", 128, padded, mask) == GLIDE_OK);
  EXPECT(mask[0] && mask[2] && !mask[3]);
  EXPECT(padded[127] == 50256);

  EXPECT(glide_detokenize(expected, 7, text, sizeof text, &length) == GLIDE_OK);
  EXPECT(strcmp(text, "a red circle on a blue background") == 0);
  EXPECT(length == strlen(text));
  EXPECT(glide_detokenize(expected, 7, text, 4, &length) == GLIDE_ERROR_BUFFER_TOO_SMALL);
}

static void test_checkpoint(const char* path) {
  glide_checkpoint* checkpoint = NULL;
  glide_checkpoint_info info = {.version = GLIDE_CHECKPOINT_INFO_VERSION};
  glide_tensor_info tensor = {.version = GLIDE_TENSOR_INFO_VERSION};
  size_t i;

  EXPECT(glide_checkpoint_open("/nonexistent/model.pt", &checkpoint) == GLIDE_ERROR_NOT_FOUND);
  EXPECT(checkpoint == NULL);
  EXPECT(contains(glide_error_last(), "/nonexistent/model.pt"));
  EXPECT(glide_checkpoint_open(NULL, &checkpoint) == GLIDE_ERROR_INVALID_ARGUMENT);
  if (!path) return;

  EXPECT(glide_checkpoint_open(path, &checkpoint) == GLIDE_OK);
  if (!checkpoint) return;
  EXPECT(glide_checkpoint_get_info(checkpoint, &info) == GLIDE_OK);
  EXPECT(info.tensor_count > 0);
  EXPECT(info.parameter_count > 0);
  for (i = 0; i < info.tensor_count; ++i) {
    EXPECT(glide_checkpoint_tensor(checkpoint, i, &tensor) == GLIDE_OK);
    EXPECT(tensor.name != NULL && tensor.dtype != NULL);
  }
  EXPECT(glide_checkpoint_tensor(checkpoint, info.tensor_count, &tensor) ==
         GLIDE_ERROR_INVALID_ARGUMENT);
  info.version = 99;
  EXPECT(glide_checkpoint_get_info(checkpoint, &info) == GLIDE_ERROR_VERSION);
  glide_checkpoint_free(checkpoint);
  glide_checkpoint_free(NULL);
}

static bool stop_at_once(const char* stage, int64_t step, int64_t total, void* user_data) {
  (void)stage;
  (void)step;
  (void)total;
  (void)user_data;
  return false;
}

static void test_generation(void) {
  glide_pipeline_params pipeline_params;
  glide_generate_params params;
  glide_pipeline* pipeline = NULL;
  glide_images* images = NULL;
  const char* prompts[] = {"a corgi"};

  EXPECT(glide_pipeline_params_init(&pipeline_params, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  EXPECT(glide_pipeline_params_init(&pipeline_params, 0) == GLIDE_ERROR_VERSION);
  pipeline_params.base_checkpoint = "base.pt";
  EXPECT(glide_pipeline_create(&pipeline_params, &pipeline) == GLIDE_ERROR_NOT_FOUND);
  EXPECT(pipeline == NULL);
  glide_pipeline_free(pipeline);

  EXPECT(glide_generate_params_init(&params, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  EXPECT(strcmp(params.upsampler.respacing, "fast27") == 0);
  EXPECT(params.base.guidance_scale == 3.0);
  EXPECT(glide_generate_params_validate(&params) == GLIDE_ERROR_INVALID_ARGUMENT);
  params.prompts = prompts;
  params.prompt_count = 1;
  params.progress = stop_at_once;
  EXPECT(glide_generate_params_validate(&params) == GLIDE_OK);
  params.version = GLIDE_GENERATE_PARAMS_VERSION + 1;
  EXPECT(glide_generate_params_validate(&params) == GLIDE_ERROR_VERSION);
  params.version = GLIDE_GENERATE_PARAMS_VERSION;
  EXPECT(glide_generate(NULL, &params, &images) == GLIDE_ERROR_INVALID_ARGUMENT);
  EXPECT(images == NULL);
  glide_images_free(images);
}

/* Writes an image and a mask to `png` (overwriting this test's own file), reads them back. */
static void test_image_files(const char* png) {
  uint8_t rgb[2 * 3 * 3];
  uint8_t gray[2 * 3];
  glide_images image = {1, 2, 3, 3, rgb};
  glide_images mask = {1, 2, 3, 1, gray};
  glide_images* loaded = NULL;
  size_t i;
  for (i = 0; i < sizeof rgb; ++i) rgb[i] = (uint8_t)(i * 13);
  for (i = 0; i < sizeof gray; ++i) gray[i] = (uint8_t)(i * 51);
  EXPECT(glide_images_save(&image, png, true) == GLIDE_OK);
  EXPECT(glide_images_save(&image, png, false) == GLIDE_ERROR_INVALID_ARGUMENT);
  EXPECT(contains(glide_error_last(), "already exists"));
  EXPECT(glide_images_load(png, 3, &loaded) == GLIDE_OK);
  EXPECT(loaded != NULL && loaded->height == 2 && loaded->width == 3 && loaded->channels == 3);
  EXPECT(loaded != NULL && memcmp(loaded->pixels, rgb, sizeof rgb) == 0);
  glide_images_free(loaded);
  EXPECT(glide_images_save(&mask, png, true) == GLIDE_OK);
  EXPECT(glide_images_load(png, 1, &loaded) == GLIDE_OK);
  EXPECT(loaded != NULL && loaded->channels == 1 && memcmp(loaded->pixels, gray, sizeof gray) == 0);
  glide_images_free(loaded);
  EXPECT(glide_images_load(png, 2, &loaded) == GLIDE_ERROR_INVALID_ARGUMENT);
  EXPECT(loaded == NULL);
  remove(png);
}

int main(int argc, char** argv) {
  char png[4096];
  test_versions();
  test_tokenizer();
  test_checkpoint(argc > 1 ? argv[1] : NULL);
  test_generation();
  /* Named after the program, so that it and its sanitized build can run side by side. */
  snprintf(png, sizeof png, "%s-image.png", argv[0]);
  test_image_files(png);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("c_abi_test: all checks passed\n");
  return 0;
}
