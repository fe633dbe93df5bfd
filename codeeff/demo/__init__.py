"""`codeeff demo`: the end-to-end main job on the embedded SmolLM2-135M model."""
