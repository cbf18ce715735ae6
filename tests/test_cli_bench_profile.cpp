// glide bench --profile's arithmetic: self times from nested spans, per run, the largest first.
#include "bench_profile.hpp"
#include "support/catch_torch.hpp"

using glide::cli::bench::OpProfile;
using glide::cli::bench::Span;
using glide::cli::bench::summarize_spans;

TEST_CASE("profiles sum self time by name, nested spans less their children", "[cli]") {
  // Two runs on thread 1: conv (10 us) holding an im2col (4 us) and a gemm (5 us); add (2 us).
  // Thread 2 has a span overlapping thread 1's in time but not nested in it.
  std::vector<Span> spans;
  for (double run_start : {0.0, 100.0}) {
    spans.push_back({"conv", 1, run_start, 10});
    spans.push_back({"im2col", 1, run_start + 1, 4});
    spans.push_back({"gemm", 1, run_start + 5, 5});
    spans.push_back({"add", 1, run_start + 20, 2});
  }
  spans.push_back({"gemm", 2, 2, 6});
  const OpProfile p = summarize_spans(spans, /*runs=*/2, /*top=*/10, "test");
  CHECK(p.runs == 2);
  CHECK(p.what == "test");
  REQUIRE(p.ops.size() == 4);
  // gemm: (5 + 5 + 6) us over 2 runs = 8 us per run; im2col 4; add 2; conv's self 10 - 9 = 1.
  CHECK(p.ops[0].name == "gemm");
  CHECK(p.ops[0].ms == Approx(0.008));
  CHECK(p.ops[0].calls == Approx(1.5));
  CHECK(p.ops[1].name == "im2col");
  CHECK(p.ops[1].ms == Approx(0.004));
  CHECK(p.ops[2].name == "add");
  CHECK(p.ops[3].name == "conv");
  CHECK(p.ops[3].ms == Approx(0.001));
  CHECK(p.total_ms == Approx(0.015));  // 30 us of self time in 2 runs

  SECTION("beyond `top`, one entry sums the rest") {
    const OpProfile short_list = summarize_spans(spans, 2, 2, "test");
    REQUIRE(short_list.ops.size() == 3);
    CHECK(short_list.ops[2].name == "(2 others)");
    CHECK(short_list.ops[2].ms == Approx(0.003));
    CHECK(short_list.ops[2].calls == Approx(2));
    CHECK(short_list.total_ms == Approx(0.015));
  }
  SECTION("calls per run are exact: 66 calls in 3 runs are 22, not 21.999...") {
    std::vector<Span> many;
    for (int i = 0; i < 66; ++i) many.push_back({"conv", 1, 10.0 * i, 1});
    CHECK(summarize_spans(many, 3, 5, "test").ops.at(0).calls == 22.0);
  }
  SECTION("nothing recorded gives an empty profile") {
    const OpProfile empty = summarize_spans({}, 3, 5, "test");
    CHECK(empty.ops.empty());
    CHECK(empty.total_ms == 0);
  }
}
