"""Healthy: a binary classifier that outputs a logit, with BinaryCrossentropy(from_logits=True), Dropout 0.5."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((100,), name="x"),
        layers.Dense(64, activation="relu", name="h"),
        layers.Dropout(0.5, name="drop"),
        layers.Dense(1, name="logit"),
    ])
    model.compile(optimizer="rmsprop", loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])
    return model
