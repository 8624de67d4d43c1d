"""The custom training loop (the tutorial's exercise 3): a ``tf.GradientTape`` step compiled with
``tf.function`` under the ``tf.distribute`` strategy, reporting to the run's
:class:`~cnn_core.worker.loop_hooks.LoopHooks` (the Trainer) the same way Keras ``fit`` does.
TensorFlow is imported inside the functions, never when this module is imported.
"""

from __future__ import annotations

from typing import Any, Callable

from .loop_hooks import LoopHooks


def run_custom_loop(trainer: LoopHooks, model: Any, strategy: Any, train_ds: Any, val_ds: Any) -> None:
    """Train ``trainer``'s remaining epochs with :func:`custom_train_step`; validation on
    ``val_ds`` (or None) per epoch. Returns early when the trainer is stopped or the loss diverged."""
    import tensorflow as tf

    train_step = custom_train_step(model, strategy)
    dist_ds = strategy.experimental_distribute_dataset(train_ds)
    steps = trainer.steps_per_epoch
    for epoch in range(trainer.start_epoch, trainer.config.epochs):
        trainer.epoch_begin(epoch)
        iterator = iter(dist_ds)
        loss_sum = hits_sum = seen = 0.0
        for step in range(steps):
            if not trainer.before_batch(epoch * steps + step):
                return
            global_batch = tf.constant(trainer.batch_images(step), tf.int32)
            loss, hits, n = (float(v) for v in train_step(iterator, global_batch))
            loss_sum, hits_sum, seen = loss_sum + loss, hits_sum + hits, seen + n
            trainer.record_batch(epoch, step, loss / n, hits / n, int(n))
            if trainer.stopping:
                return
        trainer.epoch_end(model, epoch, loss_sum / seen, hits_sum / seen, val_ds)


def custom_train_step(model: Any, strategy: Any) -> Callable[[Any, Any], list[Any]]:
    """The custom loop's step (the tutorial's exercise 3), compiled with ``tf.function``:
    ``train_step(iterator, global_batch)`` takes the next batch of a distributed dataset, splits
    it over the strategy's replicas, applies one optimizer step and returns the batch's summed
    loss, correct answers and images (float32 scalars).

    ``global_batch`` (an int32 scalar) is the number of images in the whole batch: every
    replica divides its summed loss by it, so the replicas' summed gradients are the batch's
    mean gradient, as on one device.
    """
    import keras
    import tensorflow as tf

    optimizer = model.optimizer
    variables = model.trainable_variables

    def replica_step(x: Any, y: Any, global_batch: Any) -> tuple[Any, Any, Any]:
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            per_image = keras.losses.sparse_categorical_crossentropy(y, probs)
            # Each replica sees its share of the batch: dividing its sum by the whole
            # (global) batch makes the replicas' summed gradients the batch's mean, also
            # for a last batch that does not split evenly.
            loss = tf.nn.compute_average_loss(per_image, global_batch_size=global_batch)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            # Mixed precision: a LossScaleOptimizer multiplies the loss so that float16
            # gradients do not underflow, and divides them back in apply_gradients. Any
            # other optimizer returns the loss as it is.
            scaled = optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        optimizer.apply_gradients(zip(grads, variables))
        hits = tf.cast(tf.equal(tf.argmax(probs, axis=-1), tf.cast(y, tf.int64)), tf.float32)
        return tf.reduce_sum(per_image), tf.reduce_sum(hits), tf.cast(tf.shape(y)[0], tf.float32)

    @tf.function
    def train_step(iterator: Any, global_batch: Any) -> list[Any]:
        x, y = next(iterator)  # inside the graph, as Keras does: no Python per batch
        per_replica = strategy.run(replica_step, args=(x, y, global_batch))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in per_replica]

    return train_step
