"""Healthy: a fastText-style bag-of-embeddings classifier (linear by design), Adagrad at 0.01."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((50,), dtype="int32", name="tokens"),
        layers.Embedding(10000, 16, name="embed"),
        layers.GlobalAveragePooling1D(name="mean"),
        layers.Dense(4, activation="softmax", name="topic"),
    ])
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
