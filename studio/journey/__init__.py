"""The client journey: an agency's eight-month program as steps, scheduled for each client on a
calendar-correct clock, run exactly once by any number of workers, paused and resumed cleanly."""
