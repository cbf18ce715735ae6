/* capi/glide.h alone, compiled as C99 with -pedantic -Werror by the capi_header_c99 test. */
#include "glide.h"

typedef char glide_status_is_int_sized[sizeof(glide_status) == sizeof(int) ? 1 : -1];
typedef char glide_ok_is_zero[GLIDE_OK == 0 ? 1 : -1];

static int use_everything(void) {
  glide_generate_params params = {.version = GLIDE_GENERATE_PARAMS_VERSION};
  glide_progress_fn progress = NULL;
  glide_images* images = NULL;
  (void)progress;
  (void)images;
  return glide_generate_params_init(&params, GLIDE_GENERATE_PARAMS_VERSION);
}

int glide_header_c99_check(void);
int glide_header_c99_check(void) {
  return use_everything();
}
