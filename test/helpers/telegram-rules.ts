// The rules live with the Bot API emulator in the product (the sandbox uses them too).
export * from "#bot/sandbox/emulator/rules";
