"""Experimento / Experiment — Pre-entrenamiento generativo / Generative pre-training (seed 001).

ES: Una red sigmoidal profunda 64-100-100-100-10 aprende los dígitos 8×8 con solo 50
ejemplos etiquetados, desde pesos aleatorios o pre-entrenada capa a capa como
autocodificadores con ruido (sobre las imágenes etiquetadas o sobre todas, sin sus
etiquetas) y ajustada después con el mismo presupuesto supervisado. Todas aprenden sus 50
ejemplos; las pre-entrenadas se equivocan menos en el conjunto de prueba: "Generative
pre-training", entre las técnicas contra el sobreaprendizaje de Berzal (40 épocas de ajuste
aquí; 100 en la versión completa).
EN: A deep 64-100-100-100-10 sigmoid network learns the 8×8 digits from only 50 labelled
examples, from random weights or pre-trained layer by layer as denoising autoencoders (on
the labelled images or on all of them, without their labels) and then fine-tuned with the
same supervised budget. All of them learn their 50 examples; the pre-trained ones make
fewer test errors: "Generative pre-training", among Berzal's techniques against
over-fitting (40 fine-tuning epochs here; 100 in the full version).
"""

import tempfile
from pathlib import Path

import retroprop as rp

result = rp.experiments.generative_pretraining(epochs=40)
print(result.table())
picture = Path(tempfile.mkdtemp()) / "generative-pretraining.png"
result.plot(picture)
