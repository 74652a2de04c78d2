// ustar reading and writing. A header is one 512-byte block: name[100] mode[8] uid[8] gid[8]
// size[12] mtime[12] chksum[8] typeflag[1] linkname[100] magic[6] version[2] uname[32]
// gname[32] devmajor[8] devminor[8] prefix[155]; numbers are octal text; the checksum is the
// byte sum of the header with the checksum field read as spaces. Data follows, padded to 512.
#include "data/tar.h"

#include "data/file_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "data/file_io.h"
#include "ir/error.h"
#include "ir/limits.h"

namespace qcv::data {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxMetadata = 1 << 20;  // long names / pax records larger than this are bad

uint64_t padded(uint64_t size) { return (size + kBlock - 1) / kBlock * kBlock; }

std::string field_text(const uint8_t* field, size_t size) {
  size_t length = 0;
  while (length < size && field[length] != 0) ++length;
  return std::string(reinterpret_cast<const char*>(field), length);
}

// Octal text (leading spaces, ended by NUL or space) or GNU base-256 (high bit of the first
// byte). Returns false if malformed.
bool parse_number(const uint8_t* field, size_t size, uint64_t& value) {
  value = 0;
  if (field[0] & 0x80) {
    if (field[0] != 0x80) return false;  // negative or too large
    for (size_t i = 1; i < size; ++i) {
      if (value >> 56) return false;
      value = (value << 8) | field[i];
    }
    return true;
  }
  size_t i = 0;
  while (i < size && field[i] == ' ') ++i;
  bool digits = false;
  for (; i < size && field[i] != 0 && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7' || (value >> 60)) return false;
    value = value * 8 + (field[i] - '0');
    digits = true;
  }
  return digits || i == size || field[i] == 0 || field[i] == ' ';
}

bool checksum_ok(const uint8_t* header) {
  uint64_t stored = 0;
  if (!parse_number(header + 148, 8, stored)) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;  // some old tars summed signed chars
  for (size_t i = 0; i < kBlock; ++i) {
    uint8_t byte = (i >= 148 && i < 156) ? ' ' : header[i];
    unsigned_sum += byte;
    signed_sum += static_cast<int8_t>(byte);
  }
  return stored == unsigned_sum || int64_t(stored) == signed_sum;
}

// A decimal number that is all digits and fits in 64 bits (pax lengths and sizes).
bool parse_decimal(const std::string& text, uint64_t& value) {
  if (text.empty() || text.size() > 20) return false;
  value = 0;
  for (char c : text)
    if (c < '0' || c > '9' || limits::mul_overflows(value, 10, &value) ||
        limits::add_overflows(value, uint64_t(c - '0'), &value))
      return false;
  return true;
}

// pax records: "<length> <key>=<value>\n", the length counting the whole record. Every length
// is checked against what is left, so a record can neither reach past the data nor stall.
void parse_pax(const std::string& data, std::string& path, uint64_t& size, bool& has_size,
               const std::string& archive, uint64_t offset) {
  auto corrupt = [&](const char* why) {
    fail("{}: corrupt pax extended header at offset {}: {}", archive, offset, why);
  };
  size_t position = 0;
  while (position < data.size()) {
    // Padding after the last record (some writers leave NULs) ends the list.
    if (data[position] == '\0') break;
    size_t space = data.find(' ', position);
    uint64_t length = 0;
    if (space == std::string::npos ||
        !parse_decimal(data.substr(position, space - position), length))
      corrupt("a record length is not a decimal number");
    if (length <= space + 1 - position || length > data.size() - position ||
        data[position + length - 1] != '\n')
      corrupt("a record length does not match its record");
    std::string record = data.substr(space + 1, position + length - 1 - (space + 1));
    size_t equals = record.find('=');
    if (equals == std::string::npos) corrupt("a record has no '='");
    std::string key = record.substr(0, equals), value = record.substr(equals + 1);
    if (key == "path") path = value;
    if (key == "size") {
      if (!parse_decimal(value, size)) corrupt("the size is not a decimal number");
      has_size = true;
    }
    position += length;
  }
}

void write_octal(char* field, size_t size, uint64_t value) {
  // size - 1 digits, zero-padded, then NUL.
  for (size_t i = size - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[size - 1] = 0;
}

}  // namespace

void pread_exact(int fd, uint8_t* out, size_t size, uint64_t offset, const std::string& path,
                 const std::string& what) {
  size_t done = 0;
  while (done < size) {
    ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("{}: read error at offset {} ({}): {}", path, offset, what, strerror(errno));
    if (got == 0)
      fail("{}: truncated: {} needs {} bytes at offset {}, the file ends after {}", path, what,
           size, offset, offset + done);
    done += static_cast<size_t>(got);
  }
}

std::vector<TarMember> list_tar_members(int fd, const std::string& path) {
  struct stat info;
  if (::fstat(fd, &info) != 0) fail("{}: cannot stat: {}", path, strerror(errno));
  if (!S_ISREG(info.st_mode)) fail("{}: not a regular file", path);
  const uint64_t file_size = static_cast<uint64_t>(info.st_size);
  std::vector<TarMember> members;
  std::string long_name, pax_path;
  uint64_t pax_size = 0;
  bool has_pax_size = false;
  std::string previous = "(start of archive)";
  uint8_t header[kBlock];
  // Invariant: offset <= file_size, and it grows by at least one block per header, so the walk
  // ends; every size is checked against the bytes left before it moves the offset.
  uint64_t offset = 0;
  for (;;) {
    if (file_size - offset < kBlock)
      fail("{}: truncated: no end-of-archive block after member '{}' (file ends at {})", path,
           printable(previous), file_size);
    pread_exact(fd, header, kBlock, offset, path, "a tar header");
    if (std::all_of(header, header + kBlock, [](uint8_t b) { return b == 0; })) break;
    std::string name = field_text(header, 100);
    if (!checksum_ok(header))
      fail("{}: corrupt tar header at offset {} (member '{}' after '{}'): bad checksum", path,
           offset, printable(name), printable(previous));
    uint64_t size = 0;
    if (!parse_number(header + 124, 12, size))
      fail("{}: corrupt tar header at offset {} (member '{}'): bad size field", path, offset,
           printable(name));
    const char type = static_cast<char>(header[156]);
    // POSIX ustar keeps a path prefix; GNU's "ustar  " header uses those bytes for other things.
    if (std::memcmp(header + 257, "ustar\0", 6) == 0) {
      std::string prefix = field_text(header + 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    const uint64_t data_offset = offset + kBlock;  // <= file_size: a whole header was read
    const uint64_t left = file_size - data_offset;
    if (type == 'x' || type == 'L') {
      if (size > kMaxMetadata)
        fail("{}: corrupt tar header at offset {}: {} bytes of metadata", path, offset, size);
      if (size > left)
        fail("{}: truncated: the extended header at offset {} needs {} bytes, {} are left", path,
             offset, size, left);
      std::string data(size, '\0');
      pread_exact(fd, reinterpret_cast<uint8_t*>(&data[0]), size, data_offset, path,
                  "the extended header of the member after '" + printable(previous) + "'");
      if (type == 'L')
        long_name = data.substr(0, data.find('\0'));
      else
        parse_pax(data, pax_path, pax_size, has_pax_size, path, offset);
      offset = data_offset + std::min(padded(size), left);
      continue;
    }
    if (!long_name.empty()) name = long_name;
    if (!pax_path.empty()) name = pax_path;
    if (has_pax_size) size = pax_size;
    long_name.clear();
    pax_path.clear();
    has_pax_size = false;
    // Every member's data must lie inside the file (a size near 2^64 would otherwise wrap the
    // offset back onto an earlier header).
    if (size > left)
      fail("{}: truncated: member '{}' at offset {} needs {} bytes, the file ends after {}", path,
           printable(name), offset, size, left);
    // Directories, links and devices carry no data that matters here (hard and symbolic links
    // have size 0); skip everything but regular files.
    if (type == '0' || type == '\0' || type == '7') members.push_back({name, data_offset, size});
    previous = name;
    offset = data_offset + std::min(padded(size), left);  // the last padding may be cut short
  }
  return members;
}

TarWriter::TarWriter(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) fail("{}: cannot create: {}", path, strerror(errno));
}

TarWriter::~TarWriter() {
  if (file_) std::fclose(file_);
}

void TarWriter::write(const void* data, size_t size) {
  if (std::fwrite(data, 1, size, file_) != size)
    fail("{}: write error: {}", path_, strerror(errno));
  written_ += size;
}

void TarWriter::add(const std::string& name, const uint8_t* data, size_t size) {
  if (!file_) fail("{}: tar writer already finished", path_);
  char header[kBlock];
  std::memset(header, 0, sizeof(header));
  std::string prefix, base = name;
  if (name.size() > 100) {
    // The shortest prefix (ending at a '/') that leaves a name of at most 100 bytes.
    size_t split = std::string::npos;
    for (size_t p = name.find('/'); p != std::string::npos && p <= 155; p = name.find('/', p + 1))
      if (p > 0 && name.size() - p - 1 <= 100) {
        split = p;
        break;
      }
    if (split == std::string::npos)
      fail("{}: member name too long for ustar ({} bytes): {}", path_, name.size(), name);
    prefix = name.substr(0, split);
    base = name.substr(split + 1);
  }
  if (base.empty()) fail("{}: empty member name '{}'", path_, name);
  std::memcpy(header, base.data(), base.size());
  write_octal(header + 100, 8, 0644);
  write_octal(header + 108, 8, 0);
  write_octal(header + 116, 8, 0);
  if (size >= (uint64_t(1) << 33)) fail("{}: member '{}' too large for ustar", path_, name);
  write_octal(header + 124, 12, size);
  write_octal(header + 136, 12, 0);
  header[156] = '0';
  std::memcpy(header + 257,
              "ustar\0"
              "00",
              8);
  std::memcpy(header + 345, prefix.data(), prefix.size());
  std::memset(header + 148, ' ', 8);
  uint64_t sum = 0;
  for (char c : header) sum += static_cast<uint8_t>(c);
  // Checksum: six octal digits, NUL, space (what GNU tar writes).
  write_octal(header + 148, 7, sum);
  header[155] = ' ';
  write(header, kBlock);
  if (size > 0) write(data, size);
  static const char zeros[kBlock] = {0};
  write(zeros, padded(size) - size);
}

void TarWriter::finish() {
  if (!file_) return;
  static const char zeros[kBlock] = {0};
  write(zeros, kBlock);
  write(zeros, kBlock);
  FILE* file = file_;
  file_ = nullptr;
  if (std::fclose(file) != 0) fail("{}: write error on close: {}", path_, strerror(errno));
}

}  // namespace qcv::data
