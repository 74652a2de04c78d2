// JPEG (libjpeg-turbo) and PNG (libpng) decoding into 8-bit gray or RGB. Both libraries report
// fatal errors through a callback that must not return; we longjmp back to the decode function
// (the libraries' documented way), so the setjmp frames below hold no C++ objects with
// destructors of their own: everything that outlives a jump is owned by the caller, and nothing
// in them throws (the ceiling is read before, allocation failures are caught and reported).
#include <jerror.h>
#include <png.h>
#include <setjmp.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
// jpeglib.h needs size_t and FILE declared before it.
#include <jpeglib.h>

#include "data/data.h"
#include "data/file_io.h"
#include "ir/limits.h"

namespace qcv::data {
namespace {

// A progressive JPEG decodes every scan over the whole image: a few kB of scans can cost minutes.
// Real encoders write about 10; libjpeg-turbo's own fuzzers stop at 500.
constexpr int kMaxJpegScans = 500;
// Compressed ancillary PNG chunks (text, ICC profiles) may inflate to at most this much each.
constexpr png_alloc_size_t kMaxPngChunkBytes = 8 << 20;

struct DecodeState {
  Image image;
  std::vector<uint8_t*> rows;
  // The most bytes a decode may allocate (limits::max_tensor_bytes(), read before decoding:
  // reading it may throw, which must not happen between setjmp and longjmp).
  uint64_t ceiling = 0;
  char message[JMSG_LENGTH_MAX > 200 ? JMSG_LENGTH_MAX : 200] = {0};
};

// Sizes the pixel buffer, reporting an allocation failure as a message instead of an exception
// thrown through the libraries' frames.
bool allocate_pixels(DecodeState& state, uint64_t bytes) {
  try {
    state.image.pixels.resize(static_cast<size_t>(bytes));
    return true;
  } catch (const std::bad_alloc&) {
    std::snprintf(state.message, sizeof(state.message), "cannot allocate %llu bytes",
                  static_cast<unsigned long long>(bytes));
    return false;
  }
}

// The decoded size of a width x height x channels image, or false if it exceeds the ceiling.
bool decoded_size_ok(uint64_t width, uint64_t height, uint64_t channels, DecodeState& state,
                     const char* format) {
  uint64_t pixels = 0, bytes = 0;
  if (width == 0 || height == 0 || limits::mul_overflows(width, height, &pixels) ||
      limits::mul_overflows(pixels, channels, &bytes) || bytes > state.ceiling) {
    std::snprintf(state.message, sizeof(state.message),
                  "unusable %s size %llux%llu (more than %llu bytes decoded; "
                  "QCV_MAX_TENSOR_BYTES sets the limit)",
                  format, static_cast<unsigned long long>(width),
                  static_cast<unsigned long long>(height),
                  static_cast<unsigned long long>(state.ceiling));
    return false;
  }
  return true;
}

// ---- JPEG

struct JpegErrorManager {
  jpeg_error_mgr base;
  jmp_buf jump;
  char* message;
};

struct JpegProgress {
  jpeg_progress_mgr base;
  JpegErrorManager* manager;
};

void jpeg_check_scans(j_common_ptr cinfo) {
  auto* progress = reinterpret_cast<JpegProgress*>(cinfo->progress);
  if (cinfo->is_decompressor &&
      reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxJpegScans) {
    std::snprintf(progress->manager->message, 200, "more than %d progressive scans",
                  kMaxJpegScans);
    longjmp(progress->manager->jump, 1);
  }
}

void jpeg_error_exit(j_common_ptr cinfo) {
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, manager->message);
  longjmp(manager->jump, 1);
}

void jpeg_emit_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  // Data that ends early (at the end of the file, or at a marker inside the scan) is decoded by
  // libjpeg as gray filler; we treat it as corrupt (PIL does for the first) and stop at once: a
  // few hundred bytes can claim a 60-megapixel image of filler.
  if (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER) {
    std::snprintf(manager->message, 200, "truncated JPEG data (%s)",
                  cinfo->err->msg_code == JWRN_JPEG_EOF ? "premature end of file"
                                                        : "premature end of a data segment");
    longjmp(manager->jump, 1);
  }
  cinfo->err->num_warnings++;
}

// Returns false with state.message set on a libjpeg error.
bool decode_jpeg(const uint8_t* bytes, size_t size, bool header_only, int scale_denom,
                 DecodeState& state) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager manager;
  cinfo.err = jpeg_std_error(&manager.base);
  manager.base.error_exit = jpeg_error_exit;
  manager.base.emit_message = jpeg_emit_message;
  manager.message = state.message;
  JpegProgress progress;
  progress.base.progress_monitor = jpeg_check_scans;
  progress.manager = &manager;
  if (setjmp(manager.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.progress = &progress.base;
  // Whole-image buffers (progressive coefficients) beyond the ceiling fail instead of allocating.
  cinfo.mem->max_memory_to_use = static_cast<long>(std::min<uint64_t>(state.ceiling, LONG_MAX));
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  if (cmyk) {
    cinfo.out_color_space = JCS_CMYK;
  } else if (cinfo.jpeg_color_space == JCS_GRAYSCALE) {
    cinfo.out_color_space = JCS_GRAYSCALE;
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  // DCT-domain downscale: libjpeg's scaled inverse DCT produces ceil(size * num / denom).
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned>(scale_denom);
  jpeg_calc_output_dimensions(&cinfo);
  int components = cmyk ? 4 : (cinfo.out_color_space == JCS_GRAYSCALE ? 1 : 3);
  if (!decoded_size_ok(cinfo.output_width, cinfo.output_height, components, state, "JPEG")) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  state.image.height = static_cast<int>(cinfo.output_height);
  state.image.width = static_cast<int>(cinfo.output_width);
  state.image.channels = components;
  if (header_only) {
    jpeg_destroy_decompress(&cinfo);
    return true;
  }
  jpeg_start_decompress(&cinfo);
  if (!allocate_pixels(state, uint64_t(state.image.height) * state.image.width * components)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  size_t stride = size_t(state.image.width) * components;
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = state.image.pixels.data() + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (cmyk) {
    // Adobe writes CMYK inverted (as libjpeg returns it): R = C * K / 255, and so on.
    Image rgb(state.image.height, state.image.width, 3);
    size_t pixels = size_t(rgb.height) * rgb.width;
    for (size_t i = 0; i < pixels; ++i) {
      const uint8_t* p = &state.image.pixels[i * 4];
      for (int c = 0; c < 3; ++c) rgb.pixels[i * 3 + c] = uint8_t((p[c] * p[3] + 127) / 255);
    }
    state.image = std::move(rgb);
  }
  return true;
}

// ---- PNG

struct PngSource {
  const uint8_t* bytes;
  size_t size;
  size_t position;
  char* message;
};

void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->size - source->position < count) png_error(png, "truncated PNG data (end of file)");
  std::memcpy(out, source->bytes + source->position, count);
  source->position += count;
}

void png_error_handler(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->message, 200, "%s", message);
  longjmp(png_jmpbuf(png), 1);
}

void png_warning_handler(png_structp, png_const_charp) {}

bool decode_png(const uint8_t* bytes, size_t size, bool header_only, DecodeState& state) {
  PngSource source{bytes, size, 0, state.message};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_error_handler,
                                           png_warning_handler);
  if (!png) {
    std::snprintf(state.message, sizeof(state.message), "cannot create a libpng reader");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &source, png_read_memory);
  png_set_chunk_malloc_max(png, kMaxPngChunkBytes);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info);
  png_uint_32 height = png_get_image_height(png, info);
  // 8 bytes per pixel: the widest form libpng holds a row in (16-bit RGBA) before converting.
  if (!decoded_size_ok(width, height, 8, state, "PNG")) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  // Normalize to 8-bit gray or RGB: expand palettes and low bit depths, scale 16 bits to 8 (with
  // rounding), drop alpha (as PIL's convert("RGB")).
  int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  png_set_scale_16(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  int channels = png_get_channels(png, info);
  if (channels != 1 && channels != 3) png_error(png, "unexpected channel count after conversion");
  state.image.height = static_cast<int>(height);
  state.image.width = static_cast<int>(width);
  state.image.channels = channels;
  if (!header_only) {
    if (!allocate_pixels(state, uint64_t(height) * width * channels)) {
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
    try {
      state.rows.resize(height);
    } catch (const std::bad_alloc&) {
      std::snprintf(state.message, sizeof(state.message), "cannot allocate the row pointers");
      png_destroy_read_struct(&png, &info, nullptr);
      return false;
    }
    for (png_uint_32 y = 0; y < height; ++y)
      state.rows[y] = state.image.pixels.data() + size_t(y) * width * channels;
    png_read_image(png, state.rows.data());
    png_read_end(png, nullptr);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

enum class Format { Jpeg, Png, Unknown };

Format sniff(const uint8_t* bytes, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return Format::Jpeg;
  if (size >= 8 && std::memcmp(bytes, kPng, 8) == 0) return Format::Png;
  return Format::Unknown;
}

Image decode(const uint8_t* bytes, size_t size, const std::string& name, bool header_only,
             int scale_denom = 1) {
  DecodeState state;
  state.ceiling = limits::max_tensor_bytes();
  bool ok = false;
  switch (sniff(bytes, size)) {
    case Format::Jpeg:
      ok = decode_jpeg(bytes, size, header_only, scale_denom, state);
      if (!ok) fail("{}: corrupt JPEG: {}", name, state.message);
      break;
    case Format::Png:
      ok = decode_png(bytes, size, header_only, state);
      if (!ok) fail("{}: corrupt PNG: {}", name, state.message);
      break;
    case Format::Unknown:
      fail("{}: not a JPEG or PNG file ({} bytes, unknown signature)", name, size);
  }
  return std::move(state.image);
}

}  // namespace

Image decode_image(const uint8_t* bytes, size_t size, const std::string& name, int channels) {
  if (channels != 0 && channels != 1 && channels != 3)
    fail("decode_image({}): channels must be 0, 1 or 3, got {}", name, channels);
  Image image = decode(bytes, size, name, false);
  if (channels != 0 && image.channels != channels) image = convert_channels(image, channels);
  return image;
}

Image read_image(const std::string& path, int channels) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return decode_image(bytes.data(), bytes.size(), path, channels);
}

void check_image_header(const std::string& path) { read_image_header(path); }

ImageInfo read_image_header(const std::string& path) {
  // Headers almost always fit in 64 KiB; a larger one (big EXIF or ICC data) gets the whole file.
  constexpr size_t kPrefix = 64 * 1024;
  bool whole = false;
  std::vector<uint8_t> bytes = read_file_prefix(path, kPrefix, &whole);
  try {
    return decode_image_header(bytes.data(), bytes.size(), path);
  } catch (const Error&) {
    if (whole) throw;
    bytes = read_file_bytes(path);
    return decode_image_header(bytes.data(), bytes.size(), path);
  }
}

ImageInfo decode_image_header(const uint8_t* bytes, size_t size, const std::string& name) {
  Image header = decode(bytes, size, name, true);
  // CMYK JPEGs report 4 components here; they decode to RGB.
  return {header.height, header.width, header.channels == 1 ? 1 : 3};
}

int dct_scale_for(int height, int width, int need_height, int need_width) {
  int best = 1;
  for (int d : {2, 4, 8}) {
    int h = (height + d - 1) / d, w = (width + d - 1) / d;
    if (h >= need_height && w >= need_width) best = d;
  }
  return best;
}

Image decode_image_scaled(const uint8_t* bytes, size_t size, const std::string& name, int channels,
                          const DecodeScale& choose, ImageInfo* full) {
  if (channels != 0 && channels != 1 && channels != 3)
    fail("decode_image({}): channels must be 0, 1 or 3, got {}", name, channels);
  // The header is parsed twice (microseconds) so that `choose`, which may throw, runs outside
  // libjpeg's setjmp frame.
  ImageInfo info = decode_image_header(bytes, size, name);
  if (full) *full = info;
  int d = 1;
  if (choose && sniff(bytes, size) == Format::Jpeg) {
    d = choose(info.height, info.width);
    if (d != 1 && d != 2 && d != 4 && d != 8)
      fail("{}: JPEG decode scale must be 1/1, 1/2, 1/4 or 1/8, got 1/{}", name, d);
  }
  Image image = decode(bytes, size, name, false, d);
  if (channels != 0 && image.channels != channels) image = convert_channels(image, channels);
  return image;
}

}  // namespace qcv::data
