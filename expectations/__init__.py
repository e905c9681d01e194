"""Great Expectations 1.x suites as code, and the gate runner that turns them into GateResults."""
