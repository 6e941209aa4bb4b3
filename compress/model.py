"""What EIE can run: a chain of fully connected layers, each optionally followed by ReLU.

:func:`linear_chain` walks a PyTorch model and returns its layers in execution order, refusing
anything EIE cannot run with a :class:`TypeError` that names the layer and says why.
:func:`load_model` turns a saved model (state dict or TorchScript) into an ``nn.Sequential`` of
``nn.Linear`` / ``nn.ReLU`` that the rest of the compressor can prune and retrain.

Execution order is the order of ``nn.Sequential`` (nested ones are flattened); other modules are
traced with :mod:`torch.fx`; TorchScript modules are walked in registration order.
"""

import warnings
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import fx, nn
from torch.nn import functional as F

from .quantize import SharedLinear

__all__ = ["ChainLayer", "linear_chain", "load_model", "sequential_from_state_dict"]

_LINEAR = (nn.Linear, SharedLinear)
_NOOP = (nn.Flatten, nn.Identity, nn.Dropout)
_WHY = [
    ((nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
      nn.ConvTranspose3d), "a convolution is not a matrix-vector product with a static matrix; "
                           "EIE runs only fully connected (Linear) layers"),
    ((nn.MultiheadAttention, nn.Transformer, nn.TransformerEncoderLayer,
      nn.TransformerDecoderLayer), "attention multiplies activation-dependent matrices; EIE's "
                                   "weights are static"),
    ((nn.RNNBase,), "recurrent layers need state and sigmoid/tanh gates EIE does not have; "
                    "export their gate matrices as Linear layers"),
    ((nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm),
     "normalization is not supported; fold it into the neighbouring Linear layer first"),
    ((nn.Embedding, nn.EmbeddingBag), "an embedding is a table lookup, not a matrix-vector "
                                      "product"),
    ((nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
      nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd),
     "pooling is not a matrix-vector product"),
]
_ACTIVATION_WHY = "EIE applies only ReLU (or nothing) on write-back"
_SCRIPT_KINDS = {"Linear": "linear", "ReLU": "relu", "Flatten": "noop", "Identity": "noop",
                 "Dropout": "noop", "Sequential": "container"}


@dataclass
class ChainLayer:
    """One fully connected layer of a chain: ``name`` (module path), ``module`` (an
    ``nn.Linear`` or :class:`~compress.quantize.SharedLinear`) and ``relu``."""

    name: str
    module: nn.Module
    relu: bool


def _refuse(name, module_or_op):
    label = type(module_or_op).__name__ if isinstance(module_or_op, nn.Module) \
        else str(module_or_op)
    if isinstance(module_or_op, nn.Module):
        for classes, why in _WHY:
            if isinstance(module_or_op, classes):
                return TypeError(f"layer {name!r} ({label}) cannot run on EIE: {why}")
        if type(module_or_op).__module__.startswith("torch.nn.modules.activation"):
            return TypeError(f"layer {name!r} ({label}) cannot run on EIE: {_ACTIVATION_WHY}")
    return TypeError(f"layer {name!r} ({label}) cannot run on EIE: only Linear layers, ReLU, "
                     f"Flatten, Dropout and Identity are supported")


def _kind(name, module):
    if isinstance(module, _LINEAR):
        return "linear"
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, _NOOP):
        return "noop"
    raise _refuse(name, module)


def _ops_sequential(model, prefix=""):
    ops = []
    for child_name, child in model.named_children():
        name = f"{prefix}{child_name}"
        if isinstance(child, nn.Sequential):
            ops.extend(_ops_sequential(child, name + "."))
        else:
            ops.append((name, _kind(name, child), child))
    return ops


def _ops_script(model, prefix=""):
    ops = []
    for child_name, child in model.named_children():
        name = f"{prefix}{child_name}"
        kind = _SCRIPT_KINDS.get(getattr(child, "original_name", type(child).__name__))
        if kind is None:
            raise TypeError(f"layer {name!r} ({child.original_name}) cannot run on EIE: only "
                            f"Linear layers, ReLU, Flatten, Dropout and Identity are supported")
        if kind == "container":
            ops.extend(_ops_script(child, name + "."))
        else:
            ops.append((name, kind, child))
    return ops


_FX_RELU = {F.relu, torch.relu, torch.nn.functional.relu}
_FX_NOOP_FUNCS = {torch.flatten}
_FX_NOOP_METHODS = {"flatten", "view", "reshape", "contiguous"}


def _ops_fx(model):
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception as e:  # tracing fails on data-dependent control flow
        raise TypeError(f"cannot follow the forward() of {type(model).__name__} to find its "
                        f"layers ({e}); give an nn.Sequential of Linear/ReLU") from e
    ops = []
    for node in graph.nodes:
        if node.op in ("placeholder", "output", "get_attr"):
            continue
        if node.op == "call_module":
            module = model.get_submodule(node.target)
            ops.append((node.target, _kind(node.target, module), module))
        elif node.op == "call_function" and node.target in _FX_RELU:
            ops.append((node.name, "relu", None))
        elif (node.op == "call_function" and node.target in _FX_NOOP_FUNCS) or \
                (node.op == "call_method" and node.target in _FX_NOOP_METHODS):
            ops.append((node.name, "noop", None))
        elif node.op == "call_method" and node.target == "relu":
            ops.append((node.name, "relu", None))
        else:
            target = getattr(node.target, "__name__", node.target)
            raise TypeError(f"operation {node.name!r} ({target}) cannot run on EIE: only "
                            f"Linear layers and ReLU are supported")
    return ops


def linear_chain(model):
    """The :class:`ChainLayer` list of ``model`` in execution order.

    Raises ``TypeError`` naming the first layer EIE cannot run, a ReLU applied to the network
    inputs, or a model with no Linear layer.
    """
    if isinstance(model, torch.jit.ScriptModule):
        ops = _ops_script(model)
    elif isinstance(model, nn.Sequential):
        ops = _ops_sequential(model)
    elif isinstance(model, _LINEAR):
        ops = [("0", "linear", model)]
    elif isinstance(model, nn.Module):
        ops = _ops_fx(model)
    else:
        raise TypeError(f"expected a torch.nn.Module, not {type(model).__name__}")
    chain = []
    for name, kind, module in ops:
        if kind == "linear":
            chain.append(ChainLayer(name, module, False))
        elif kind == "relu":
            if not chain:
                raise TypeError(f"layer {name!r} (ReLU) cannot run on EIE: it acts on the "
                                f"network inputs, and EIE applies ReLU only on a layer's outputs")
            chain[-1].relu = True
    if not chain:
        raise TypeError(f"{type(model).__name__} has no Linear layer EIE could run")
    for previous, layer in zip(chain, chain[1:], strict=False):
        n_out, n_in = _shape(previous.module)[0], _shape(layer.module)[1]
        if n_out != n_in:
            raise ValueError(f"layer {layer.name!r} has {n_in} inputs but the layer before it, "
                             f"{previous.name!r}, has {n_out} outputs")
    return chain


def _shape(module):
    if isinstance(module, SharedLinear):
        return tuple(module.index.shape)
    return tuple(module.weight.shape)


def sequential_from_state_dict(state, *, relu_last=False):
    """An ``nn.Sequential`` of ``nn.Linear`` (+ ReLU between layers) from a state dict.

    Layers are the ``<prefix>.weight`` entries in the dict's order; ``<prefix>.bias`` is
    optional. A weight that is not 2-D raises ``TypeError`` naming it.
    """
    if not isinstance(state, dict):
        raise TypeError(f"expected a state dict, not {type(state).__name__}")
    if "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    prefixes = [k[:-len(".weight")] if k != "weight" else "" for k in state
                if k == "weight" or k.endswith(".weight")]
    if not prefixes:
        raise TypeError("the state dict holds no '.weight' tensor: no Linear layer to compress")
    modules = OrderedDict()
    for i, prefix in enumerate(prefixes):
        key = f"{prefix}.weight" if prefix else "weight"
        weight = torch.as_tensor(state[key])
        if weight.ndim != 2:
            raise TypeError(f"layer {prefix or '0'!r}: weight {key!r} has shape "
                            f"{tuple(weight.shape)}; only 2-D (Linear) weights can run on EIE")
        bias = state.get(f"{prefix}.bias" if prefix else "bias")
        linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
        with torch.no_grad():
            linear.weight.copy_(weight)
            if bias is not None:
                linear.bias.copy_(torch.as_tensor(bias))
        modules[(prefix or "0").replace(".", "_")] = linear
        if i < len(prefixes) - 1 or relu_last:
            modules[f"relu{i}"] = nn.ReLU()
    model = nn.Sequential(modules)
    linear_chain(model)  # checks that the shapes chain
    return model


def load_model(path, *, relu_last=False):
    """Load a TorchScript file or a state dict of Linear layers as an ``nn.Sequential``.

    A TorchScript model keeps its own ReLUs; a state dict gets ReLU between layers and none
    after the last (``relu_last`` adds one).
    """
    try:
        with warnings.catch_warnings():
            # TorchScript is deprecated upstream but is one of the formats users hand us.
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError):
        scripted = None
    if scripted is not None:
        modules = OrderedDict()
        for i, layer in enumerate(linear_chain(scripted)):
            weight = layer.module.weight.detach()
            bias = getattr(layer.module, "bias", None)
            linear = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
            with torch.no_grad():
                linear.weight.copy_(weight)
                if bias is not None:
                    linear.bias.copy_(bias.detach())
            modules[layer.name.replace(".", "_")] = linear
            if layer.relu:
                modules[f"relu{i}"] = nn.ReLU()
        return nn.Sequential(modules)
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except OSError:
        raise
    except Exception as e:  # torch raises pickle, zip and runtime errors for foreign files
        raise ValueError(f"{path} is neither a TorchScript module nor a state dict of "
                         f"tensors ({type(e).__name__}: {e})") from e
    return sequential_from_state_dict(state, relu_last=relu_last)
