"""Code that runs Keras models (imported lazily; written against keras / keras.ops only)."""
