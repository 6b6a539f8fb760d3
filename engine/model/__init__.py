"""The model: InterestConv (engine.model.interest_conv), and the encoder, memory and training built on it."""
