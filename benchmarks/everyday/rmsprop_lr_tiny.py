"""Sentiment LSTM with RMSprop(learning_rate=1e-7): "loss decreases in the fifth decimal"."""

WHERE = ("optimizer.learning_rate",)


def _model(keras, rate):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((40,), name="tokens"),
        layers.Embedding(5000, 32, name="embed"),
        layers.LSTM(32, name="lstm"),
        layers.Dense(1, activation="sigmoid", name="positive"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, 1e-7)


def good(keras):
    return _model(keras, 1e-3)
