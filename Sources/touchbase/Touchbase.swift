import TouchbaseCommands

@main
struct TouchbaseMain {
    static func main() async {
        await TouchbaseCommand.main()
    }
}
