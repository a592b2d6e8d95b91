"""Perception adapters over models that packages ship (never downloaded): dlib's face
detector, landmarks and 128-D face embedding (face_recognition_models' files, run by
dlib-bin) and MediaPipe 0.10.21 legacy solutions. Each model loads once per process."""
