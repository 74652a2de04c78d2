// Hostile PNG / JPEG input: claimed dimensions are checked against the ceiling (set low here)
// before anything is allocated, progressive JPEGs are bounded in scans, a truncated JPEG stops at
// the first missing byte, and every input the fuzzer found (tests/data/crashers/fuzz_image) fails
// with a qcv::Error instead of crashing or hanging.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::ScopedEnv;
using testing::TempDir;

TEST(HostileImage, PngDimensionsAreCheckedAgainstTheCeiling) {
  TempDir dir;
  // 1000 x 1000 gray: 8 MB in libpng's widest row form, over a 1 MiB ceiling.
  testing::write_png(dir.file("big.png"), 1000, 1000, PNG_COLOR_TYPE_GRAY, 8,
                     std::vector<uint16_t>(1000 * 1000, 0));
  std::vector<uint8_t> bytes = testing::read_all(dir.file("big.png"));
  ScopedEnv ceiling("QCV_MAX_TENSOR_BYTES", "1M");
  expect_error([&] { decode_image(bytes.data(), bytes.size(), "big.png"); },
               {"big.png", "unusable PNG size 1000x1000", "QCV_MAX_TENSOR_BYTES"});
  expect_error([&] { decode_image_header(bytes.data(), bytes.size(), "big.png"); },
               {"big.png", "unusable PNG size"});
}

TEST(HostileImage, JpegDimensionsAreCheckedAgainstTheCeiling) {
  TempDir dir;
  testing::write_jpeg(dir.file("small.jpg"), 8, 8, 3, std::vector<uint8_t>(8 * 8 * 3, 100));
  std::vector<uint8_t> bytes = testing::read_all(dir.file("small.jpg"));
  // Patch the frame header (SOF0: ff c0, length, precision, height, width) to claim 4000 x 4000.
  size_t sof = 0;
  while (sof + 1 < bytes.size() && !(bytes[sof] == 0xff && bytes[sof + 1] == 0xc0)) ++sof;
  ASSERT_LT(sof + 9, bytes.size());
  bytes[sof + 5] = 4000 >> 8, bytes[sof + 6] = 4000 & 0xff;
  bytes[sof + 7] = 4000 >> 8, bytes[sof + 8] = 4000 & 0xff;
  ScopedEnv ceiling("QCV_MAX_TENSOR_BYTES", "1M");
  expect_error([&] { decode_image(bytes.data(), bytes.size(), "claims.jpg"); },
               {"claims.jpg", "unusable JPEG size 4000x4000", "QCV_MAX_TENSOR_BYTES"});
}

// A valid progressive JPEG with 4 successive-approximation scans for DC and for each of the 63
// AC coefficients of each component: 760 scans for an 8 x 8 image.
std::vector<uint8_t> many_scan_jpeg(const std::string& path) {
  std::vector<jpeg_scan_info> scans;
  auto refine = [&](int components, int first, int ss, int se) {
    for (int al = 3; al >= 0; --al) {
      jpeg_scan_info scan{};
      scan.comps_in_scan = components;
      for (int c = 0; c < components; ++c) scan.component_index[c] = first + c;
      scan.Ss = ss, scan.Se = se, scan.Ah = al == 3 ? 0 : al + 1, scan.Al = al;
      scans.push_back(scan);
    }
  };
  refine(3, 0, 0, 0);
  for (int c = 0; c < 3; ++c)
    for (int k = 1; k < 64; ++k) refine(1, c, k, k);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = cinfo.image_height = 8;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  cinfo.scan_info = scans.data();
  cinfo.num_scans = static_cast<int>(scans.size());
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(8 * 3, 77);
  while (cinfo.next_scanline < 8) {
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
  return testing::read_all(path);
}

TEST(HostileImage, ProgressiveScanCountIsBounded) {
  TempDir dir;
  std::vector<uint8_t> bytes = many_scan_jpeg(dir.file("scans.jpg"));
  size_t sos = 0;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) sos += bytes[i] == 0xff && bytes[i + 1] == 0xda;
  ASSERT_EQ(sos, 760u);  // the file really holds that many scans
  expect_error([&] { decode_image(bytes.data(), bytes.size(), "scans.jpg"); },
               {"scans.jpg", "more than 500 progressive scans"});
  // Its header alone is fine: the limit is on decoding work, not on the format.
  ImageInfo info = decode_image_header(bytes.data(), bytes.size(), "scans.jpg");
  EXPECT_EQ(info.height, 8);
}

TEST(HostileImage, FuzzerFindingsFailCleanly) {
  const std::filesystem::path dir =
      std::filesystem::path(QCV_SOURCE_DIR) / "tests/data/crashers/fuzz_image";
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::vector<uint8_t> bytes = testing::read_all(entry.path().string());
    const std::string name = entry.path().filename().string();
    // Each was a crash or a > 10 s decode; each is corrupt, so each must be refused.
    expect_error([&] { decode_image(bytes.data(), bytes.size(), name); }, {name, "corrupt"});
    ++count;
  }
  EXPECT_GE(count, 1u);
}

TEST(HostileImage, TruncatedJpegStopsAtTheEndOfTheData) {
  TempDir dir;
  std::vector<uint8_t> pixels(64 * 64 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = uint8_t(i * 31);
  testing::write_jpeg(dir.file("a.jpg"), 64, 64, 3, pixels, 90);
  std::vector<uint8_t> bytes = testing::read_all(dir.file("a.jpg"));
  bytes.resize(bytes.size() / 2);
  expect_error([&] { decode_image(bytes.data(), bytes.size(), "half.jpg"); },
               {"half.jpg", "truncated JPEG data"});
}

}  // namespace
}  // namespace qcv::data
