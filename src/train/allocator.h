// Keeps freed memory in the process between training steps.
#pragma once

namespace qcv::train {

// glibc's malloc returns big freed blocks to the kernel (mmap'd chunks, heap-top trimming), so
// every training step page-faults and zeroes its activations and gradients again: a quarter of
// the CPU time went to the kernel (MobileNetV2, batch 64). Raises the mmap threshold to its
// maximum (32 MB on 64-bit) and stops trimming, unless the user tuned malloc with MALLOC_*_
// environment variables. Called before training; calling it again changes nothing.
void keep_freed_memory();

}  // namespace qcv::train
