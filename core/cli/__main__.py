from core.cli import main

main(prog_name="csm")
