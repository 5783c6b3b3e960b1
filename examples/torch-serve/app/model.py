"""The example model, in PyTorch: load the weights written by make_model.py
and evaluate a batch.  Used by the server inside the image and by
make_expected.py outside it, so both compute with the same code."""
import json
import os

import numpy
import torch


class MLP(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(layers, layers[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = torch.relu(x)
        return x


def load(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    with open(os.path.join(model_dir, "weights.bin"), "rb") as f:
        blob = f.read()
    model = MLP(config["layers"])
    state = {}
    for t in config["tensors"]:
        array = numpy.frombuffer(blob, dtype="<f4", count=t["length"] // 4, offset=t["offset"])
        state[t["name"]] = torch.from_numpy(array.copy()).reshape(t["shape"])
    model.load_state_dict(state)
    model.eval()
    return model, config


def predict(model, config, inputs):
    with torch.no_grad():
        x = torch.tensor(inputs, dtype=torch.float32)
        logits = model(x)
        probs = torch.softmax(logits, dim=1)
    labels = config["labels"]
    return {
        "logits": [[float(v) for v in row] for row in logits.tolist()],
        "probabilities": [[float(v) for v in row] for row in probs.tolist()],
        "labels": [labels[int(i)] for i in torch.argmax(probs, dim=1).tolist()],
        "torch_version": torch.__version__,
    }
