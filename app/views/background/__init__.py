"""Work off the Tk thread: a worker per owner for jobs, an inbox for other threads' news; both hand
results back to the Tk thread through after()."""
