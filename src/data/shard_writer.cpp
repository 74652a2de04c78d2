// write_shards: an ImageFolder's files, unchanged, into WebDataset-style tar shards.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>

#include "data/data.h"
#include "data/file_io.h"
#include "data/tar.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

// The key part from a file name: its stem with '.' (the key/extension separator) replaced.
std::string key_stem(const std::string& path) {
  std::string stem = fs::path(path).stem().string();
  std::replace(stem.begin(), stem.end(), '.', '_');
  return stem;
}

std::string image_extension(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return "jpg";
  if (bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P') return "png";
  fail("{}: not a JPEG or PNG file", path);
}

void rename_or_fail(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    std::remove(from.c_str());
    fail("{}: cannot rename into place as {}", from, to);
  }
}

}  // namespace

std::vector<std::string> write_shards(const ImageFolderDataset& folder, const std::string& out_dir,
                                      const ShardWriterOptions& options) {
  if (options.samples_per_shard == 0) fail("shards: the shard size must be positive");
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error) fail("{}: cannot create the output directory: {}", out_dir, error.message());

  std::vector<size_t> order(folder.size());
  std::iota(order.begin(), order.end(), size_t(0));
  if (options.shuffle) {
    std::mt19937_64 rng(sample_seed(options.seed, 0, -2));
    for (size_t i = order.size(); i-- > 1;)
      std::swap(order[i], order[static_cast<size_t>(uniform_int(rng, 0, int64_t(i)))]);
  }

  std::vector<std::string> shards;
  std::unique_ptr<TarWriter> writer;
  std::string temporary;
  auto close_shard = [&] {
    if (!writer) return;
    writer->finish();
    writer.reset();
    rename_or_fail(temporary, shards.back());
  };
  try {
    for (size_t n = 0; n < order.size(); ++n) {
      if (n % options.samples_per_shard == 0) {
        close_shard();
        shards.push_back(
            (fs::path(out_dir) / fmt::format("shard-{:06d}.tar", shards.size())).string());
        temporary = shards.back() + ".tmp";
        writer = std::make_unique<TarWriter>(temporary);
      }
      const size_t index = order[n];
      const std::string& path = folder.path(index);
      std::vector<uint8_t> bytes = read_file_bytes(path);
      std::string key = fmt::format("{:09d}_{}", n, key_stem(path));
      writer->add(key + "." + image_extension(bytes, path), bytes.data(), bytes.size());
      std::string label = std::to_string(folder.label(index));
      writer->add(key + ".cls", reinterpret_cast<const uint8_t*>(label.data()), label.size());
      if (options.progress) options.progress(n + 1, order.size());
    }
    close_shard();
  } catch (...) {
    writer.reset();
    if (!temporary.empty()) std::remove(temporary.c_str());
    throw;
  }

  std::string names = (fs::path(out_dir) / "classes.txt").string();
  std::string names_temporary = names + ".tmp";
  {
    FILE* file = std::fopen(names_temporary.c_str(), "wb");
    if (!file) fail("{}: cannot create", names_temporary);
    for (const std::string& name : folder.class_names()) std::fprintf(file, "%s\n", name.c_str());
    if (std::fclose(file) != 0) fail("{}: write error", names_temporary);
  }
  rename_or_fail(names_temporary, names);
  return shards;
}

}  // namespace qcv::data
