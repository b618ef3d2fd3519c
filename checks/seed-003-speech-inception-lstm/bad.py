"""Seed 003 (speech sentiment, capstone496/SpeechSentiments#14): InceptionV3 on spectrograms + an
audio LSTM, joined by a final decision layer, as in the progress report.

Spectrogram branch, exactly as posted: a grayscale Input((299, 299, 1)) tiled to three channels by
``Concatenate()([img, img, img])`` and fed as ``input_tensor`` to ``InceptionV3(include_top=True)``
with the freezing loop commented out (every layer trainable), then ``Dropout(0.5)`` and
``Dense(6, softmax)`` on ``base_model.output`` -- the 1000-way ImageNet softmax.

Audio branch and decision layer: the issue shows them only as pictures, so the shapes are chosen:
MFCC sequences of 128 frames x 40 coefficients -> LSTM(128) -> Dropout(0.5) -> Dense(6, softmax),
the branch's own 6-way classifier. "Option 1" of the issue trains both at the same time and "tunes
the dense layer of both output": the two 6-way outputs are concatenated and a Dense(6, softmax)
decision layer makes the final call. Compiled as posted: categorical crossentropy, 'rmsprop'
(learning rate 1e-3), ['accuracy'].

The only change from the post: ``weights=None`` (no downloads; same layer graph and config), and
``Model(inputs=..., outputs=...)`` instead of the long-removed ``Model(input=..., output=...)``.

What fusiondoctor must say (case.toml):

* FD102 (warning) at ``predictions``: Dense(6) is trained on the 1000-way ImageNet softmax of a
  backbone built with include_top=True. (The decision layer also sits on the two branches' 6-way
  probabilities, through a Concatenate. That is decision-level fusion -- stacking per-modality
  classifiers -- a deliberate design the rule leaves alone: it follows probabilities only through
  shape-only layers, not through merges.)
* FD104 (warning) at the InceptionV3 backbone: its 94 BatchNormalization layers are trainable and
  run in training mode while a few hundred spectrograms fine-tune it -- the statistics drift the
  issue chased through keras#9214.
* FD207 (warning) at the backbone: every InceptionV3 layer is fine-tuned with RMSprop at 1e-3.

No FD103: the decision concatenation joins two 6-wide outputs (ratio 1). No error severity: the
model can learn; it learns badly.
"""

IMAGE_SIZE = 299
AUDIO_FRAMES, AUDIO_FEATURES = 128, 40
CLASSES = 6


def build(keras):
    layers = keras.layers
    Input, Concatenate, Dropout, Dense, LSTM = (
        layers.Input,
        layers.Concatenate,
        layers.Dropout,
        layers.Dense,
        layers.LSTM,
    )

    img_input = Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 1), name="spectrogram")
    img_conc = Concatenate()([img_input, img_input, img_input])
    base_model = keras.applications.InceptionV3(weights=None, include_top=True, input_tensor=img_conc)
    # for layer in base_model.layers:
    #     layer.trainable = False
    firstLayer = base_model.output
    secondLayer = Dropout(0.5)(firstLayer)
    cnn_out = Dense(CLASSES, activation="softmax", name="spectrogram_probs")(secondLayer)

    audio_input = Input(shape=(AUDIO_FRAMES, AUDIO_FEATURES), name="audio")
    a = LSTM(128)(audio_input)
    a = Dropout(0.5)(a)
    lstm_out = Dense(CLASSES, activation="softmax", name="audio_probs")(a)

    fused = layers.concatenate([cnn_out, lstm_out], name="decision_inputs")
    outputLayer = Dense(CLASSES, activation="softmax", name="decision")(fused)
    model = keras.Model(inputs=[base_model.input, audio_input], outputs=outputLayer)

    model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model
