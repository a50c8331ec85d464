"""The IVR: the FastAGI server, the fee-balance flow, its words, prompts and identity checks."""
