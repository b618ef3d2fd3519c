"""FD100: parts of a model that no rule can judge (custom layers, losses, metrics, activations)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.spec import ModelSpec
from ..registry import rule
from ..types import Location, NotInspected, Severity


@rule("FD100", "custom-objects-not-inspected", Severity.INFO)
def custom_objects_not_inspected(model: ModelSpec) -> Iterator[NotInspected]:
    """Lists custom layers, activations and losses, which fusiondoctor reports but never guesses about.

    ## What it does
    Names every layer class, activation and loss that is not part of Keras. These appear in the
    report's "not inspected" list; they are not findings and never change the exit code.

    ## Why is this bad?
    It is not bad. A rule that meets a custom object cannot know what it computes, so it says so
    instead of guessing: a silent pass over a custom loss would look like a clean bill of health.

    ## Example
    ```python
    out = MyGatedFusion(name="fusion")([image_features, text_features])
    model.compile(loss=my_focal_loss, optimizer="adam")
    ```

    ## Use instead
    Nothing has to change. Where a built-in layer or loss does the same job, the rules can see it:
    ```python
    fused = layers.concatenate([image_features, text_features])
    model.compile(loss=keras.losses.BinaryFocalCrossentropy(), optimizer="adam")
    ```
    """
    for layer in model.layers.values():
        if layer.class_name == "Lambda":
            yield NotInspected("Lambda layer: its function is neither run nor read", Location(layer=layer.path))
        elif not layer.is_known:
            yield NotInspected(f"custom layer class {layer.class_name!r}", Location(layer=layer.path))
        elif layer.activation and layer.activation.startswith("custom:"):
            name = layer.activation.split(":", 1)[1]
            yield NotInspected(f"custom activation {name!r}", Location(layer=layer.path))
    for output in model.outputs:
        if output.loss is not None and not output.loss.is_known:
            yield NotInspected(f"custom loss {output.loss.name!r}", Location(output=output.name))
