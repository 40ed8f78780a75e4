name = f"model-{uuid.uuid4()}-é
x = f"{run_id é