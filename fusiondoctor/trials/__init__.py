"""Fix trials: apply a finding's semantic patch to a model config and retrain against the baseline."""
