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
#include "ir/atomic_file.h"
#include "ir/path_name.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

// The key part from a file name: its stem with '.' (the key/extension separator) replaced.
std::string key_stem(const std::string& path) {
  std::string stem = ir::safe_file_name(fs::path(path).stem().string(), path);
  std::replace(stem.begin(), stem.end(), '.', '_');
  return stem;
}

std::string image_extension(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return "jpg";
  if (bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P') return "png";
  fail("{}: not a JPEG or PNG file", path);
}

// qcv shards replaces an existing output folder only when it holds nothing but a previous run's
// shards, so a mistyped -o never deletes someone's files.
bool written_by_shards(const std::string& name) {
  if (name == "classes.txt") return true;
  if (name.size() < 11 || name.compare(0, 6, "shard-") != 0 ||
      name.compare(name.size() - 4, 4, ".tar") != 0)
    return false;
  return std::all_of(name.begin() + 6, name.end() - 4, [](char c) { return c >= '0' && c <= '9'; });
}

void check_replaceable(const std::string& out_dir) {
  std::error_code error;
  const fs::file_status status = fs::symlink_status(out_dir, error);
  if (!fs::exists(status)) return;
  if (!fs::is_directory(status)) fail("{}: exists and is not a folder", out_dir);
  for (fs::directory_iterator it(out_dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!written_by_shards(name) || !it->is_regular_file())
      fail("{}: exists and holds '{}', which qcv shards did not write; give a new or empty folder",
           out_dir, name);
  }
  if (error) fail("{}: cannot list: {}", out_dir, error.message());
}

// classes.txt holds one name a line: a name with a line break or control byte would shift labels.
void check_class_names(const ImageFolderDataset& folder, const std::string& out_dir) {
  for (const std::string& name : folder.class_names()) {
    const bool bad = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
                       return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                     });
    if (bad)
      fail(
          "{}: class folder '{}' has a control character in its name; it cannot be a line of "
          "classes.txt",
          out_dir, ir::printable_name(name));
  }
}

}  // namespace

std::vector<std::string> write_shards(const ImageFolderDataset& folder, const std::string& out_dir,
                                      const ShardWriterOptions& options) {
  if (options.samples_per_shard == 0) fail("shards: the shard size must be positive");
  check_replaceable(out_dir);
  check_class_names(folder, out_dir);
  const fs::path parent = fs::path(out_dir).parent_path();
  std::error_code error;
  if (!parent.empty()) fs::create_directories(parent, error);
  if (error) fail("{}: cannot create the folder above it: {}", out_dir, error.message());

  std::vector<size_t> order(folder.size());
  std::iota(order.begin(), order.end(), size_t(0));
  if (options.shuffle) {
    std::mt19937_64 rng(sample_seed(options.seed, 0, -2));
    for (size_t i = order.size(); i-- > 1;)
      std::swap(order[i], order[static_cast<size_t>(uniform_int(rng, 0, int64_t(i)))]);
  }

  // Everything goes into a fresh temporary folder that replaces out_dir at the end: no shard of an
  // earlier run survives to be read as data, and an interrupted run leaves the old folder whole.
  ir::AtomicFolder staging(out_dir);
  std::vector<std::string> names;
  std::unique_ptr<TarWriter> writer;
  for (size_t n = 0; n < order.size(); ++n) {
    if (n % options.samples_per_shard == 0) {
      if (writer) writer->finish();
      names.push_back(fmt::format("shard-{:06d}.tar", names.size()));
      writer = std::make_unique<TarWriter>((fs::path(staging.temp_path()) / names.back()).string());
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
  if (writer) writer->finish();
  writer.reset();

  std::string classes;
  for (const std::string& name : folder.class_names()) classes += name + "\n";
  ir::write_file_atomically((fs::path(staging.temp_path()) / "classes.txt").string(), classes);
  staging.commit();
  std::vector<std::string> shards;
  for (const std::string& name : names) shards.push_back((fs::path(out_dir) / name).string());
  return shards;
}

}  // namespace qcv::data
