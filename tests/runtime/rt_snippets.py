"""Hand-written StableHLO modules and helpers shared by the runtime tests."""
from __future__ import annotations


import pytest

ADD_MUL = """func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = stablehlo.add %a, %b : tensor<4xf32>
  %1 = stablehlo.multiply %a, %b : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}"""

SCALAR = """func.func @main(%a: tensor<f32>) -> tensor<f32> {
  %0 = stablehlo.multiply %a, %a : tensor<f32>
  return %0 : tensor<f32>
}"""

COMPARE = """func.func @main(%a: tensor<5xf32>, %b: tensor<5xf32>) -> tensor<5xi1> {
  %0 = stablehlo.compare GT, %a, %b : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xi1>
  return %0 : tensor<5xi1>
}"""

DOT = """func.func @main(%a: tensor<3x5xf32>, %b: tensor<5x2xf32>) -> tensor<3x2xf32> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<3x5xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}"""


def reduce_sum(n: int, dtype: str = "f32") -> str:
    return f"""func.func @main(%a: tensor<{n}x{dtype}>) -> (tensor<{dtype}>, tensor<{dtype}>) {{
  %z = stablehlo.constant dense<0.0> : tensor<{dtype}>
  %m = stablehlo.constant dense<-1.0e30> : tensor<{dtype}>
  %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [0] : (tensor<{n}x{dtype}>, tensor<{dtype}>) -> tensor<{dtype}>
  %1 = stablehlo.reduce(%a init: %m) applies stablehlo.maximum across dimensions = [0] : (tensor<{n}x{dtype}>, tensor<{dtype}>) -> tensor<{dtype}>
  return %0, %1 : tensor<{dtype}>, tensor<{dtype}>
}}"""


F64_DOT_SQRT = """func.func @main(%a: tensor<3x3xf64>, %b: tensor<3xf64>) -> tensor<3xf64> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<3x3xf64>, tensor<3xf64>) -> tensor<3xf64>
  %1 = stablehlo.multiply %0, %0 : tensor<3xf64>
  %2 = stablehlo.sqrt %1 : tensor<3xf64>
  %3 = stablehlo.add %2, %b : tensor<3xf64>
  return %3 : tensor<3xf64>
}"""

F64_EXP = """func.func @main(%a: tensor<3xf64>) -> tensor<3xf64> {
  %0 = stablehlo.exponential %a : tensor<3xf64>
  return %0 : tensor<3xf64>
}"""



requires_vulkan = pytest.mark.vulkan
