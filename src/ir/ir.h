// Public header of the graph IR library (qcv_ir).
#pragma once
#include "ir/dtype.h"
#include "ir/error.h"
#include "ir/graph.h"
#include "ir/ops.h"
#include "ir/tensor.h"
#include "ir/npy.h"
