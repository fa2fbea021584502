"""Real-runtime stage (litmus7 for Go): a test as a Go program, run many times,
its histogram and race reports compared with the model's verdicts."""
