"""Seed 003, corrected: the fixes for the three things that went wrong.

* ``InceptionV3(include_top=False, pooling='avg')``: the new head sees the 2048 pooled features,
  not the ImageNet probabilities (FD102).
* The backbone's BatchNormalization layers are frozen, so fine-tuning keeps their statistics
  (FD104); the convolutions stay trainable.
* Fine-tuning runs at RMSprop(1e-5) instead of the default 1e-3 (FD207).
* The two branches are fused as features (each projected to 128 units and batch-normalized), not as
  6-way probabilities, and one softmax decides (FD102 on the branch classifiers, FD103).

Shapes as in bad.py. Expected: no findings.
"""

IMAGE_SIZE = 299
AUDIO_FRAMES, AUDIO_FEATURES = 128, 40
CLASSES = 6


def build(keras):
    layers = keras.layers

    img_input = layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="spectrogram")
    img_conc = layers.Concatenate()([img_input, img_input, img_input])
    base_model = keras.applications.InceptionV3(weights=None, include_top=False, pooling="avg", input_tensor=img_conc)
    for layer in base_model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False
    x = layers.Dropout(0.5)(base_model.output)
    x = layers.Dense(128, activation="relu", name="spectrogram_features")(x)
    x = layers.BatchNormalization(name="spectrogram_bn")(x)

    audio_input = layers.Input(shape=(AUDIO_FRAMES, AUDIO_FEATURES), name="audio")
    a = layers.LSTM(128)(audio_input)
    a = layers.Dropout(0.5)(a)
    a = layers.Dense(128, activation="relu", name="audio_features")(a)
    a = layers.BatchNormalization(name="audio_bn")(a)

    fused = layers.concatenate([x, a], name="fusion")
    out = layers.Dense(CLASSES, activation="softmax", name="decision")(fused)
    model = keras.Model(inputs=[img_input, audio_input], outputs=out)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=1e-5),
                  metrics=["accuracy"])
    return model
