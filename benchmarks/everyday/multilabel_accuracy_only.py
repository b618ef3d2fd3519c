"""Tagging photos with 20 independent tags, tracked with accuracy only ("97% accuracy, useless predictions")."""

WHERE = ("metrics",)


def _model(keras, metrics):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((512,), name="image_features"),
        layers.Dense(128, activation="relu", name="h"),
        layers.Dense(20, activation="sigmoid", name="tags"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=metrics)
    return model


def bad(keras):
    return _model(keras, ["accuracy"])


def good(keras):
    return _model(keras, [keras.metrics.AUC(multi_label=True, name="auc"), keras.metrics.Precision(name="precision"),
                          keras.metrics.Recall(name="recall")])
