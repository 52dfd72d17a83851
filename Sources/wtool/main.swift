print("wtool")
