// capi/glide.h alone, compiled as C++11 with -pedantic -Werror by the capi_header_cxx test.
#include "glide.h"

static_assert(GLIDE_OK == 0, "GLIDE_OK is 0");
int glide_header_cxx_check(glide_generate_params* p);
int glide_header_cxx_check(glide_generate_params* p) {
  return glide_generate_params_init(p, GLIDE_GENERATE_PARAMS_VERSION);
}
