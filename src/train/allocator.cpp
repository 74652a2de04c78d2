#include "train/allocator.h"

#include <cstdlib>
#include <initializer_list>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qcv::train {

void keep_freed_memory() {
#if defined(__GLIBC__)
  static const bool done = [] {
    for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"})
      if (std::getenv(name)) return true;  // the user's settings win
    mallopt(M_MMAP_THRESHOLD, 32 << 20);   // glibc's maximum on 64-bit
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
    return true;
  }();
  (void)done;
#endif
}

}  // namespace qcv::train
