// Counts heap allocations (operator new) in a test binary, so a test can assert that a
// run allocates nothing. Link tests/support/allocation_counter.cpp into the binary: it
// replaces the global operator new/delete.
#pragma once

namespace edgeai::testing {

// Allocations made so far by this process through operator new.
long heap_allocations();

}  // namespace edgeai::testing
