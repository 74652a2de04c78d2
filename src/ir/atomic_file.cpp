#include "ir/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "ir/error.h"

namespace qcv::ir {
namespace fs = std::filesystem;
namespace {

// ---- The table the signal handler reads: fixed size, filled before a slot is marked in use. ----
enum Kind : int { kFree = 0, kClaimed = 1, kFile = 2, kFolder = 3 };
struct Slot {
  std::atomic<int> kind{kFree};
  pid_t owner = 0;  // a forked child inherits the table but must not remove its parent's files
  char path[4096];
};
constexpr int kSlots = 64;  // temporaries in flight at once; beyond it, the next run cleans up
Slot g_slots[kSlots];

// Removes a folder and the files directly in it, with system calls alone (async-signal-safe).
void remove_flat_folder(const char* path) {
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    alignas(8) char buffer[4096];
    for (int pass = 0; pass < 10000; ++pass) {  // unlinking while reading: reread from the start
      ::lseek(fd, 0, SEEK_SET);
      long n = ::syscall(SYS_getdents64, fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      bool removed = false;
      for (long at = 0; at < n;) {
        auto reclen = *reinterpret_cast<unsigned short*>(buffer + at + 16);
        const char* name = buffer + at + 19;  // d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0)
          removed |= ::unlinkat(fd, name, 0) == 0;
        at += reclen;
      }
      if (!removed) break;
    }
    ::close(fd);
  }
  ::rmdir(path);
}

void on_signal(int sig) {
  const pid_t self = ::getpid();
  for (Slot& s : g_slots) {
    const int kind = s.kind.load(std::memory_order_acquire);
    if (s.owner != self) continue;
    if (kind == kFile) ::unlink(s.path);
    if (kind == kFolder) remove_flat_folder(s.path);
  }
  ::raise(sig);  // SA_RESETHAND restored the default action: the process ends as signalled
}

// Installs the handler where a signal still has its default action (a command's own handler for a
// graceful stop keeps precedence; its stop path unwinds through the destructors below).
void install_handler() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) continue;
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) continue;
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    ::sigaction(sig, &action, nullptr);
  }
}

int register_temporary(const std::string& path, Kind kind) {
  if (path.size() >= sizeof(Slot::path)) return -1;
  install_handler();
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (!g_slots[i].kind.compare_exchange_strong(expected, kClaimed)) continue;
    std::memcpy(g_slots[i].path, path.c_str(), path.size() + 1);
    g_slots[i].owner = ::getpid();
    g_slots[i].kind.store(kind, std::memory_order_release);
    return i;
  }
  return -1;  // table full: not removed on a signal, but removed as stale by the next run
}

void unregister(int& slot) {
  if (slot >= 0) g_slots[slot].kind.store(kFree, std::memory_order_release);
  slot = -1;
}

// The output's file name as it appears inside its temporaries (bounded: a name limit is 255 bytes).
std::string stem_for(const std::string& output_name) { return output_name.substr(0, 200); }

std::string split_folder(const std::string& path, std::string* name) {
  const fs::path p(path);
  *name = p.filename().string();
  if (name->empty() || *name == "." || *name == "..")
    fail("'{}': an output must name a file, not a folder", path);
  const std::string parent = p.parent_path().string();
  return parent.empty() ? "." : parent;
}

void fsync_folder(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // the rename itself survives a power loss (best effort)
  ::close(fd);
}

bool pid_is_alive(long pid) {
  if (pid <= 0 || pid > 0x3fffffff) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::atomic<unsigned> g_counter{0};

}  // namespace

std::string temporary_name_for(const std::string& path) {
  std::string name;
  const std::string folder = split_folder(path, &name);
  return (fs::path(folder) /
          fmt::format(".{}.qcv-tmp.{}.{}", stem_for(name), ::getpid(), g_counter++))
      .string();
}

bool is_temporary_of(const std::string& file_name, const std::string& output_name) {
  const std::string prefix = "." + stem_for(output_name) + ".qcv-tmp.";
  if (file_name.compare(0, prefix.size(), prefix) != 0) return false;
  size_t at = prefix.size(), digits = 0;
  while (at < file_name.size() && std::isdigit(static_cast<unsigned char>(file_name[at])))
    ++at, ++digits;
  if (digits == 0 || at >= file_name.size() || file_name[at] != '.') return false;
  size_t counter = 0;
  while (++at < file_name.size() && std::isdigit(static_cast<unsigned char>(file_name[at])))
    ++counter;
  return counter > 0 && at == file_name.size();
}

int remove_stale_temporaries(const std::string& path) {
  std::string name;
  const std::string folder = split_folder(path, &name);
  std::error_code ec;
  fs::directory_iterator it(folder, ec), end;
  int removed = 0;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (!is_temporary_of(entry, name)) continue;
    const size_t at = 1 + stem_for(name).size() + std::strlen(".qcv-tmp.");
    const long pid = std::strtol(entry.c_str() + at, nullptr, 10);
    if (pid == ::getpid() || pid_is_alive(pid)) continue;  // in use (here or by another run)
    std::error_code remove_error;
    if (fs::remove_all(it->path(), remove_error) > 0) ++removed;
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  remove_stale_temporaries(path_);
  temp_ = temporary_name_for(path_);
  slot_ = register_temporary(temp_, kFile);  // before the file exists: no window for a signal
  fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int err = errno;
    unregister(slot_);
    fail("cannot write '{}': {}", path_, std::strerror(err));
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_.c_str());
  }
  unregister(slot_);
}

void AtomicFile::write(const void* data, size_t size) {
  if (fd_ < 0) fail("'{}': already committed", path_);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write '{}': {}", path_, std::strerror(n < 0 ? errno : ENOSPC));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (fd_ < 0) fail("'{}': already committed", path_);
  const int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    unregister(slot_);
    fail("cannot write '{}': {}", path_, std::strerror(err));
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_.c_str());
    unregister(slot_);
    fail("cannot write '{}': cannot rename its temporary into place: {}", path_,
         std::strerror(err));
  }
  unregister(slot_);
  std::string name;
  fsync_folder(split_folder(path_, &name));
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes.data(), bytes.size());
  file.commit();
}

// ---------------------------------------------------------------------------------------------

AtomicFolder::AtomicFolder(std::string path) : path_(std::move(path)) {
  while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
  remove_stale_temporaries(path_);
  temp_ = temporary_name_for(path_);
  slot_ = register_temporary(temp_, kFolder);
  if (::mkdir(temp_.c_str(), 0777) != 0) {
    const int err = errno;
    unregister(slot_);
    fail("cannot write '{}': cannot create a folder beside it: {}", path_, std::strerror(err));
  }
}

AtomicFolder::~AtomicFolder() {
  if (!temp_.empty()) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
  unregister(slot_);
}

void AtomicFolder::commit() {
  if (temp_.empty()) fail("'{}': already committed", path_);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) fail("cannot write '{}': it exists and is not a folder", path_);
    // Swap the two folders in one step, then remove the old one (now under the temporary name,
    // still registered, so a signal during the removal leaves no leftover).
    if (::syscall(SYS_renameat2, AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(),
                  1 /* RENAME_EXCHANGE */) != 0) {
      // Filesystems without the exchange: the old folder is moved aside first (put back on a
      // failure).
      const std::string aside = temporary_name_for(path_);
      if (std::rename(path_.c_str(), aside.c_str()) != 0)
        fail("cannot replace the folder '{}': {}", path_, std::strerror(errno));
      if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        std::rename(aside.c_str(), path_.c_str());
        fail("cannot replace the folder '{}': {}", path_, std::strerror(err));
      }
      unregister(slot_);
      temp_ = aside;
      slot_ = register_temporary(temp_, kFolder);
    }
    std::error_code ec;
    fs::remove_all(temp_, ec);
  } else if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    fail("cannot write '{}': cannot rename its temporary folder into place: {}", path_,
         std::strerror(errno));
  }
  temp_.clear();
  unregister(slot_);
  std::string name;
  fsync_folder(split_folder(path_, &name));
}

void require_output_folder(const std::string& path) {
  const std::string folder = std::filesystem::path(path).parent_path().string();
  std::error_code ec;
  if (!folder.empty() && !std::filesystem::is_directory(folder, ec))
    fail("output '{}': folder '{}' does not exist", path, folder);
}

}  // namespace qcv::ir
