"""A 10-class sound-event classifier whose training labels were shuffled out of step with the clips.

The training script shuffles the clips with one permutation and the labels with another
(``x[rng.permutation(n)]``, ``y[rng.permutation(n)]``), so every training label is a random class.
The network memorizes the training set -- training accuracy climbs -- but nothing it learns
carries over: validation accuracy never rises above chance, 1/10. The validation clips keep their
true labels, so the model is judged on real data.
"""

import numpy as np

EPOCHS = 8
CLASSES = 10


def make_clips(n, rng, teacher):
    """Audio embeddings (32 features); the class is the strongest of ten linear "detectors"."""
    x = rng.normal(size=(n, 32))
    return x.astype("float32"), np.argmax(x @ teacher, axis=1)


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((32,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(128, activation="relu"),
        layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(32, CLASSES))
    teacher /= np.linalg.norm(teacher, axis=0)  # equally strong detectors: balanced classes
    x_train, y_train = make_clips(400, rng, teacher)
    x_val, y_val = make_clips(2000, rng, teacher)
    x_train, y_train = x_train[rng.permutation(400)], y_train[rng.permutation(400)]  # the bug: two permutations
    model = build(keras)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
