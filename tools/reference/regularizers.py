"""Reference values for weight regularizers and constraints, from Keras.

Run: .venv/bin/python tools/reference/regularizers.py
Writes Tests/NNRegTests/Fixtures/regularizers.json. Made with keras 3.15.1 / TF 2.21.0.
Regularizers: penalty and its gradient (tf.GradientTape) for a fixed (4, 3) kernel.
Constraints: the projected weights for a fixed (4, 3) kernel and a (2, 2, 3, 2) conv kernel.
"""
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
w2 = rng.normal(size=(4, 3)).astype("float32") * 2
w2[0, 0] = 0.0  # sign(0) = 0 for the l1 gradient
w4 = rng.normal(size=(2, 2, 3, 2)).astype("float32") * 2

regs = {
    "l1": keras.regularizers.L1(0.01), "l2": keras.regularizers.L2(0.02),
    "l1_l2": keras.regularizers.L1L2(l1=0.01, l2=0.03), # nnreg: the string "l1_l2" means l1 = l2 = 0.01 (tf.keras l1_l2()); Keras 3 strings accept only "l1"/"l2".
    "string_l1": keras.regularizers.get("l1"), "string_l1_l2": keras.regularizers.L1L2(l1=0.01, l2=0.01),
}
reg_out = []
for name, reg in regs.items():
    v = tf.Variable(w2)
    with tf.GradientTape() as tape:
        p = reg(v)
    g = tape.gradient(p, v)
    cfg = reg.get_config()
    reg_out.append({"name": name, "l1": float(cfg.get("l1", 0.0)), "l2": float(cfg.get("l2", 0.0)),
                    "penalty": float(p.numpy()), "gradient": g.numpy().ravel().tolist()})

cons = [
    ("max_norm_axis0", keras.constraints.MaxNorm(max_value=1.5, axis=0), w2, {"max_norm": 1.5, "axis": [0]}),
    ("max_norm_axis1", keras.constraints.MaxNorm(max_value=1.0, axis=1), w2, {"max_norm": 1.0, "axis": [1]}),
    ("max_norm_conv", keras.constraints.MaxNorm(max_value=2.0, axis=[0, 1, 2]), w4, {"max_norm": 2.0, "axis": [0, 1, 2]}),
    ("non_neg", keras.constraints.NonNeg(), w2, {"non_neg": True}),
    ("unit_norm", keras.constraints.UnitNorm(axis=0), w2, {"unit_norm": True, "axis": [0]}),
    ("min_max_norm", keras.constraints.MinMaxNorm(min_value=0.5, max_value=1.2, rate=0.7, axis=0), w2,
     {"min_max_norm": [0.5, 1.2, 0.7], "axis": [0]}),
]
con_out = []
for name, c, w, args in cons:
    con_out.append({"name": name, "args": args, "shape": list(w.shape), "input": w.ravel().tolist(),
                    "output": np.asarray(c(tf.constant(w))).ravel().tolist()})

out = {"generator": "tools/reference/regularizers.py", "keras": keras.__version__,
       "weights": w2.ravel().tolist(), "regularizers": reg_out, "constraints": con_out}
path = os.path.join(os.path.dirname(__file__), "../../Tests/NNRegTests/Fixtures/regularizers.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
