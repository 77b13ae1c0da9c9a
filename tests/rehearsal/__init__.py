"""Tests of the rehearsal load generator against real local HTTP servers."""
