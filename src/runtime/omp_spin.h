// libgomp's idle threads spin for a long while by default: on a loaded machine a spinning thread
// takes the core its sibling needs and every primitive waits out a scheduler time slice. libgomp
// reads its settings once, when it is loaded (before main), so a program bounds the spin by
// starting itself again with GOMP_SPINCOUNT set.
#pragma once

namespace qcv::runtime {

// Call first in main(). When neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets
// GOMP_SPINCOUNT=20000 and re-executes the program (returns only if that fails); otherwise
// returns at once, leaving the user's choice in place.
void bound_omp_spinning(char** argv);

}  // namespace qcv::runtime
