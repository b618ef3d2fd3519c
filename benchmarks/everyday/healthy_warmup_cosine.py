"""Healthy: AdamW with a linear warmup to 1e-3 and cosine decay."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    try:
        schedule = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=5000, warmup_target=1e-3, warmup_steps=500)
    except TypeError:  # tf_keras before 2.13 has no warmup
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=5000)
    model = keras.Sequential([
        keras.Input((20,), name="x"),
        layers.Dense(64, activation="gelu", name="h"),
        layers.Dense(5, activation="softmax", name="y"),
    ])
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
