//! Hand-written definitions, one per rule, with the pointer asserted.
