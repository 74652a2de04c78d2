// Writes the JPEG seeds of fuzz_image (baseline gray and RGB, progressive, 4:2:0, CMYK, restart
// markers) with libjpeg. Build and run: c++ fuzz/make_jpeg_seeds.cpp -ljpeg && ./a.out fuzz/corpus/fuzz_image
#include <cstdio>
#include <string>
#include <vector>
// jpeglib.h needs FILE and size_t first.
#include <jpeglib.h>

static void write(const std::string& path, int width, int height, int components,
                  J_COLOR_SPACE space, bool progressive, int restart, int sampling) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return;
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 75, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  cinfo.restart_interval = restart;
  if (components == 3) cinfo.comp_info[0].h_samp_factor = cinfo.comp_info[0].v_samp_factor = sampling;
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<unsigned char> row(size_t(width) * components);
  while (cinfo.next_scanline < cinfo.image_height) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = static_cast<unsigned char>(i * 7 + cinfo.next_scanline * 13);
    JSAMPROW p = row.data();
    jpeg_write_scanlines(&cinfo, &p, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : ".";
  write(dir + "/gray.jpg", 9, 7, 1, JCS_GRAYSCALE, false, 0, 1);
  write(dir + "/rgb.jpg", 8, 8, 3, JCS_RGB, false, 0, 1);
  write(dir + "/rgb420.jpg", 17, 9, 3, JCS_RGB, false, 0, 2);
  write(dir + "/progressive.jpg", 16, 16, 3, JCS_RGB, true, 0, 2);
  write(dir + "/restart.jpg", 24, 8, 3, JCS_RGB, false, 1, 1);
  write(dir + "/cmyk.jpg", 8, 8, 4, JCS_CMYK, false, 0, 1);
  return 0;
}
