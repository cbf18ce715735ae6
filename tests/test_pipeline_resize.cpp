// resize_images: the PIL-style antialiased bicubic resize that inputs and masks go through, and
// its strip-by-strip path for large inputs.
#include <ATen/ATen.h>

#include "pipeline/images.hpp"
#include "support/catch_torch.hpp"

TEST_CASE("large inputs are resized by strips of rows to the same pixels", "[pipeline]") {
  torch::manual_seed(0);
  // Over 4096 x 4096 pixels, so the strip path runs; a smooth image with noise on top.
  const torch::Tensor ramp = torch::linspace(0, 200, 4100).view({1, 4100, 1});
  const torch::Tensor image =
      (ramp.expand({4200, 4100, 3}) + torch::randint(0, 50, {4200, 4100, 3}).to(torch::kFloat))
          .to(torch::kUInt8);
  const torch::Tensor whole =
      at::_upsample_bicubic2d_aa(image.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat), {64, 64},
                                 /*align_corners=*/false)
          .round()
          .clamp(0, 255)
          .to(torch::kUInt8)
          .permute({0, 2, 3, 1});
  const torch::Tensor strips = glide::pipeline::resize_images(image, 64, "image");
  REQUIRE(strips.sizes() == whole.sizes());
  // Float sums in another order may round a rare pixel the other way, never by more than 1.
  const torch::Tensor difference = (strips.to(torch::kInt) - whole.to(torch::kInt)).abs();
  CHECK(difference.max().item<int>() <= 1);
  CHECK(difference.gt(0).sum().item<int64_t>() <= 2);
}
