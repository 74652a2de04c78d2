// Atomic outputs: every file (or flat folder) qcv writes is first written under a temporary name
// beside it, `.NAME.qcv-tmp.PID.N`, flushed to disk and renamed into place, so a reader never sees
// a half-written output and a failure leaves the previous one intact.
//  - SIGINT/SIGTERM/SIGHUP: a handler removes the temporaries in flight (unlink/rmdir only, from a
//    fixed-size table) and re-raises the signal. It is installed only where the signal still has
//    its default action, so a command's own graceful-stop handler keeps precedence.
//  - SIGKILL leaves them: creating a temporary first removes the stale ones of the same output
//  whose
//    process is no longer alive.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace qcv::ir {

// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
void write_file_atomically(const std::string& path, std::string_view bytes);
// Throws qcv::Error naming `path` unless its folder exists: a command checks every output it
// will write before it starts work, so a typo fails at once and leaves nothing half written.
void require_output_folder(const std::string& path);

// A file being written: a temporary beside `path`, renamed over it by commit(); removed by the
// destructor (an exception) or by the signal handler when not committed.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  void write(const void* data, size_t size);
  void commit();  // fsync, close, rename onto the final path

 private:
  std::string path_, temp_;
  int fd_ = -1;
  int slot_ = -1;
};

// A flat folder being written (shards, a checkpoint): a temporary folder beside `path` that
// commit() swaps in place of `path` (any previous folder of that name is removed after the swap).
// Files written into temp_path() must not have subfolders (the signal handler removes one level).
class AtomicFolder {
 public:
  explicit AtomicFolder(std::string path);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  const std::string& temp_path() const { return temp_; }
  void commit();

 private:
  std::string path_, temp_;
  int slot_ = -1;
};

// The temporary name qcv uses for `path` in this process (exposed for tests), and whether a file
// name is one of qcv's temporaries of the output named `output_name`.
std::string temporary_name_for(const std::string& path);
bool is_temporary_of(const std::string& file_name, const std::string& output_name);

// Removes temporaries of `path` left by processes that are no longer alive (after a SIGKILL);
// returns how many were removed. Called by AtomicFile/AtomicFolder; exposed for tests.
int remove_stale_temporaries(const std::string& path);

}  // namespace qcv::ir
