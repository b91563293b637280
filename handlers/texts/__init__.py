"""Reply templates (Chinese), one module per audience; handlers format these and nothing else."""
